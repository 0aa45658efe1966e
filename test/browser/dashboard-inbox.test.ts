import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startCloudApiEmulator } from '../../src/sandbox/cloud-api-emulator.js';
import type { CloudApiEmulator } from '../../src/sandbox/cloud-api-emulator.js';
import { chromiumPath, launchChromium, missingChromiumMessage } from '../support/browser.js';
import { noteSkippedWhen } from '../support/skip-notice.js';
import { createStaff, openDashboardPage, saveScreenshot, signInThroughUi, startDashboardGateway } from './support/dashboard.js';
import type { DashboardGateway, PageWatcher, StaffMember } from './support/dashboard.js';

noteSkippedWhen(chromiumPath === undefined, 'the inbox in Chromium', missingChromiumMessage);

const HOSTILE_TEXT = 'Where is my order? <img src=x onerror="window.__pwned=1;alert(1)"><script>window.__pwned=2</script>';
const HOSTILE_NAME = '<b onmouseover=alert(3)>Ada</b>';
const ACCESS_TOKEN = 'browser-test-access-token-0123456789';

/**
 * The inbox as staff use it, in Chromium, against a gateway wired to the Cloud API emulator: a
 * customer's hostile message stays text, an agent's opening of a conversation is in the audit log
 * (and visible to an auditor), and a reply goes out and reaches the customer's phone.
 */
describe.skipIf(chromiumPath === undefined)('the inbox in Chromium', () => {
  let browser: Browser;
  let emulator: CloudApiEmulator;
  let dashboard: DashboardGateway;
  let supervisor: StaffMember;
  let agent: StaffMember;
  let auditor: StaffMember;
  const contexts: BrowserContext[] = [];
  const watchers: PageWatcher[] = [];

  beforeAll(async () => {
    browser = await launchChromium();
    emulator = await startCloudApiEmulator({ port: 0, accessToken: ACCESS_TOKEN, webhookUrl: null, statusDelaysMs: { sent: 50, delivered: 100, read: 150 } });
    dashboard = await startDashboardGateway({
      WHATSAPP_APP_SECRET: emulator.appSecret,
      WHATSAPP_GRAPH_URL: emulator.url()!,
      WHATSAPP_ACCESS_TOKEN: ACCESS_TOKEN,
      WHATSAPP_PHONE_NUMBER_ID: emulator.phoneNumberId,
      WHATSAPP_BUSINESS_ACCOUNT_ID: emulator.wabaId,
    });
    emulator.setWebhookUrl(`${dashboard.url}/webhooks/whatsapp`);
    supervisor = await createStaff(dashboard, { roleIds: ['supervisor'], displayName: 'Sam Supervisor' });
    agent = await createStaff(dashboard, { roleIds: ['agent'], displayName: 'Alex Agent' });
    auditor = await createStaff(dashboard, { roleIds: ['auditor'], displayName: 'Avery Auditor' });
    const said = await emulator.say({ from: '+447700900123', name: HOSTILE_NAME, text: HOSTILE_TEXT });
    expect(said.delivery).toMatchObject({ status: 200 });
  }, 120_000);

  afterEach(async () => {
    for (const watcher of watchers.splice(0)) {
      expect(await watcher.violations()).toEqual([]);
      expect(watcher.pageErrors()).toEqual([]);
    }
    for (const context of contexts.splice(0)) await context.close();
  });

  afterAll(async () => {
    await browser?.close();
    await dashboard?.close();
    await emulator?.close();
  });

  async function signedInPage(staff: StaffMember, path = '/inbox'): Promise<Page> {
    const { context, page, watcher } = await openDashboardPage(browser);
    contexts.push(context);
    watchers.push(watcher);
    // Any dialog is an injected script running: fail loudly rather than leave it open.
    page.on('dialog', (dialog) => {
      void dialog.dismiss();
      throw new Error(`a dialog opened: ${dialog.message()}`);
    });
    await signInThroughUi(page, dashboard, staff, { path });
    return page;
  }

  const conversationRows = (page: Page) => page.getByTestId('conversation-row');

  it('lets a supervisor open the conversation, where the hostile message and name render as inert text', { timeout: 90_000 }, async () => {
    const page = await signedInPage(supervisor);
    await expect.poll(() => conversationRows(page).count(), { timeout: 15_000 }).toBe(1);
    // The list decrypts nothing: neither the name nor the number is on it.
    const listText = await page.getByTestId('conversation-list').innerText();
    expect(listText).not.toContain('Ada');
    expect(listText).not.toContain('7700900123');
    await conversationRows(page).first().click();
    const message = page.getByTestId('thread-message').first();
    await message.waitFor();
    expect(await message.innerText()).toContain(HOSTILE_TEXT);
    expect(await page.getByTestId('thread-contact-name').innerText()).toContain(HOSTILE_NAME);
    expect(await page.getByTestId('thread-view').locator('img, script, b').count()).toBe(0);
    expect(await page.evaluate('window.__pwned')).toBeUndefined();
    await saveScreenshot(page, 'inbox-thread');
  });

  it('records an agent opening an assigned conversation in the audit log, which an auditor then sees', { timeout: 120_000 }, async () => {
    const supervising = await signedInPage(supervisor);
    await conversationRows(supervising).first().click();
    await supervising.getByTestId('assignment-select').selectOption({ label: agent.displayName });
    await expect.poll(async () => (await dashboard.gateway.rampart.database.db.selectFrom('conversation_assignments').selectAll().execute()).length).toBe(1);

    const { audit } = dashboard.gateway.rampart;
    const sizeBefore = (await audit.readTreeHead()).size;
    const page = await signedInPage(agent);
    await expect.poll(() => conversationRows(page).count(), { timeout: 15_000 }).toBe(1);
    await conversationRows(page).first().click();
    await page.getByTestId('thread-message').first().waitFor();
    const opened = (await audit.listEntries(sizeBefore, 100)).filter((entry) => entry.action === 'conversation.open');
    expect(opened).toHaveLength(1);
    expect(opened[0]).toMatchObject({ actorType: 'user', actorId: agent.userId, outcome: 'success' });

    const auditing = await signedInPage(auditor, '/audit');
    await auditing.getByTestId('audit-filter-action').fill('conversation.open');
    await auditing.getByTestId('audit-filter-apply').click();
    await expect.poll(() => auditing.getByTestId('audit-row').count(), { timeout: 15_000 }).toBeGreaterThanOrEqual(1);
    expect(await auditing.getByTestId('audit-table').innerText()).not.toContain('7700900123');
    await expect.poll(() => auditing.getByTestId('audit-verification-status').getAttribute('data-state'), { timeout: 30_000 }).toBe('intact');
    await saveScreenshot(auditing, 'audit-log');
  });

  it('sends a reply from the inbox that reaches the customer and shows its delivery status', { timeout: 90_000 }, async () => {
    const page = await signedInPage(supervisor);
    await conversationRows(page).first().click();
    await page.getByTestId('reply-input').fill('It ships tomorrow. <i>Thanks</i>');
    await page.getByTestId('reply-submit').click();
    const sent = page.locator('[data-testid="thread-message"][data-direction="outbound"]');
    await expect.poll(() => sent.count(), { timeout: 15_000 }).toBe(1);
    const textsOnPhone = () => (emulator.conversation('447700900123')?.messages ?? []).map((entry) => ('text' in entry.content ? entry.content.text : null));
    await expect.poll(textsOnPhone, { timeout: 15_000 }).toContain('It ships tomorrow. <i>Thanks</i>');
    await expect.poll(() => sent.getByTestId('message-status').getAttribute('data-status'), { timeout: 30_000 }).toBe('read');
    await saveScreenshot(page, 'inbox-reply');
  });
});
