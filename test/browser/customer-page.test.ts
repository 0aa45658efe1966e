import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumPath, launchChromium, missingChromiumMessage } from '../support/browser.js';
import { startSandboxPair } from '../support/sandbox-pair.js';
import type { SandboxPair } from '../support/sandbox-pair.js';
import { repoRoot } from '../support/shared-fixtures.js';
import { noteSkippedWhen } from '../support/skip-notice.js';

const CUSTOMER = '+4915112345678';
const HOSTILE = '<img src=x onerror=alert(1)><script>alert(2)</script>';

describe.skipIf(chromiumPath === undefined)('the sandbox customer page in Chromium', () => {
  let browser: Browser;
  let pair: SandboxPair;

  beforeAll(async () => {
    browser = await launchChromium();
    pair = await startSandboxPair();
  });
  afterAll(async () => {
    await pair?.close();
    await browser?.close();
  });

  it('lets a person write as the customer, shows the business reply, and renders hostile text inert', async () => {
    const page = await browser.newPage();
    const dialogs: string[] = [];
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    const failedRequests: string[] = [];
    page.on('requestfailed', (request) => failedRequests.push(request.url()));
    await page.goto(pair.emulator.pageUrl()!);
    await page.fill('#phone', CUSTOMER);
    await page.fill('#name', 'Ada');
    await page.fill('#text', 'Hello, where is my order?');
    await page.press('#text', 'Enter');
    await page.locator('#thread li', { hasText: 'where is my order' }).waitFor();

    // The gateway stored the customer's message: the window is open, so a free-form reply goes out.
    const reply = await pair.send({ to: CUSTOMER, type: 'text', text: { body: `It ships today ${HOSTILE}` } });
    expect(reply.status).toBe(202);
    await page.locator('#thread li', { hasText: 'It ships today' }).waitFor({ timeout: 10_000 });
    expect(await page.locator('#thread').innerText()).toContain(HOSTILE);
    expect(await page.locator('#thread img').count()).toBe(0);
    expect(await page.locator('#thread script').count()).toBe(0);
    expect(dialogs).toEqual([]);

    const directory = path.join(repoRoot, 'test-results');
    mkdirSync(directory, { recursive: true });
    await page.screenshot({ path: path.join(directory, 'sandbox-customer-page.png'), fullPage: true });
    expect(failedRequests).toEqual([]);
    await page.close();
  });
});

noteSkippedWhen(chromiumPath === undefined, 'the sandbox customer page in Chromium', missingChromiumMessage);
