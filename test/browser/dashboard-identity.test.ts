import type { Browser, BrowserContext, CDPSession, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DASHBOARD_CSP } from '../../src/http/dashboard-routes.js';
import { chromiumPath, launchChromium, missingChromiumMessage } from '../support/browser.js';
import { noteSkippedWhen } from '../support/skip-notice.js';
import {
  createStaff,
  createTotpDeviceFromKey,
  fetchStatusInPage,
  openDashboardPage,
  saveScreenshot,
  signInThroughUi,
  startDashboardGateway,
  submitPassword,
} from './support/dashboard.js';
import type { DashboardGateway, PageWatcher } from './support/dashboard.js';

const SESSION_ENDED = 'Your session ended (idle for 15 minutes or signed out). Sign in again.';

describe.skipIf(chromiumPath === undefined)('the staff dashboard in Chromium: sign-in, second factors, access and session expiry', () => {
  let browser: Browser;
  let dashboard: DashboardGateway;
  const opened: { context: BrowserContext; watcher: PageWatcher }[] = [];

  /** A fresh browser profile; every page opened here is checked for CSP / Trusted Types violations after its test. */
  async function openPage(): Promise<Page> {
    const { context, page, watcher } = await openDashboardPage(browser);
    opened.push({ context, watcher });
    return page;
  }

  beforeAll(async () => {
    browser = await launchChromium();
    dashboard = await startDashboardGateway();
  });
  afterEach(async () => {
    for (const { context, watcher } of opened.splice(0)) {
      const violations = await watcher.violations();
      const errors = watcher.pageErrors();
      await context.close();
      expect(violations, 'CSP or Trusted Types violations').toEqual([]);
      expect(errors, 'uncaught page errors').toEqual([]);
    }
  });
  afterAll(async () => {
    await dashboard?.close();
    await browser?.close();
  });

  it('takes the first admin from the bootstrap link through TOTP enrolment and recovery codes to the inbox', { timeout: 90_000 }, async () => {
    const setupPath = await dashboard.gateway.rampart.identity.ensureBootstrapLink();
    expect(setupPath).toMatch(/^\/setup#token=/);
    const page = await openPage();
    await page.goto(`${dashboard.url}${setupPath}`);
    await page.getByTestId('setup-email').waitFor();
    await saveScreenshot(page, 'setup');

    await page.getByTestId('setup-display-name').fill('Ada Admin');
    await page.getByTestId('setup-email').fill('ada@example.com');
    await page.getByTestId('setup-password').fill('quiet harbour lantern seven');
    await page.getByTestId('setup-password-confirm').fill('quiet harbour lantern seven');
    await page.getByTestId('setup-submit').click();

    // The used link leaves the address bar; the QR code is a data: image drawn in the page.
    await page.getByTestId('totp-secret').waitFor();
    expect(page.url()).toBe(`${dashboard.url}/setup`);
    expect(await page.getByTestId('totp-qr').getAttribute('src')).toMatch(/^data:image\/png;base64,/);
    const device = createTotpDeviceFromKey(await page.getByTestId('totp-secret').innerText());
    await page.getByTestId('totp-enrol-code').fill(await device.nextCode());
    await page.getByTestId('totp-enrol-submit').click();

    await page.getByTestId('recovery-codes').waitFor();
    const codes = await page.getByTestId('recovery-codes').locator('li').allInnerTexts();
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    await expect.poll(() => page.getByTestId('recovery-codes-continue').isDisabled()).toBe(true);
    await page.getByTestId('recovery-codes-saved').check();
    await page.getByTestId('recovery-codes-continue').click();

    await page.getByTestId('inbox-page').waitFor();
    expect(new URL(page.url()).pathname).toBe('/inbox');
    await page.getByTestId('conversation-list-empty').waitFor();
    await expect.poll(() => page.getByTestId('current-user').innerText()).toContain('ada@example.com');
    await saveScreenshot(page, 'inbox-empty');
    // The bootstrap link works once.
    expect(await dashboard.gateway.rampart.identity.ensureBootstrapLink()).toBeNull();
  });

  it('signs out, refuses a wrong password in words, and signs in again with password and TOTP', { timeout: 90_000 }, async () => {
    const admin = await createStaff(dashboard, { roleIds: ['admin'], displayName: 'Grace Admin' });
    const page = await openPage();
    await page.goto(`${dashboard.url}/users`);
    // Signed out, a dashboard page sends the visitor to sign-in.
    await page.getByTestId('sign-in-email').waitFor();
    expect(new URL(page.url()).pathname).toBe('/sign-in');
    await saveScreenshot(page, 'sign-in');

    await submitPassword(page, { email: admin.email, password: 'not the password at all' });
    await expect.poll(() => page.getByTestId('sign-in-error').innerText()).toContain('The email address or password is not right.');

    await submitPassword(page, admin);
    await page.getByTestId('second-factor-code').fill(await admin.totp.nextCode());
    await page.getByTestId('second-factor-submit').click();
    // Back where the visitor wanted to go.
    await page.getByTestId('users-page').waitFor();
    await page.getByTestId('user-row').first().waitFor();
    await saveScreenshot(page, 'users');
    await page.getByTestId('nav-api-keys').click();
    await page.getByTestId('api-keys-empty').waitFor();
    await saveScreenshot(page, 'api-keys');
    await page.getByTestId('nav-account').click();
    await page.getByTestId('own-session-row').first().waitFor();
    await page.getByTestId('totp-state').waitFor();
    await saveScreenshot(page, 'account');

    await page.getByTestId('sign-out').click();
    await expect.poll(() => page.getByTestId('sign-in-notice').innerText()).toContain('You signed out.');
    expect(await fetchStatusInPage(page, '/api/v1/auth/session')).toBe(401);
    await page.goto(`${dashboard.url}/inbox`);
    await page.getByTestId('sign-in-email').waitFor();

    await signInThroughUi(page, dashboard, admin);
    expect(await fetchStatusInPage(page, '/api/v1/auth/session')).toBe(200);
  });

  it('registers a passkey with the virtual authenticator and signs in with it as the second factor', { timeout: 90_000 }, async () => {
    const admin = await createStaff(dashboard, { roleIds: ['admin'], displayName: 'Linus Passkey' });
    const page = await openPage();
    const devtools: CDPSession = await page.context().newCDPSession(page);
    await devtools.send('WebAuthn.enable');
    await devtools.send('WebAuthn.addVirtualAuthenticator', {
      options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
    });

    await signInThroughUi(page, dashboard, admin);
    await page.getByTestId('nav-account').click();
    await page.getByTestId('add-passkey').click();
    await page.getByTestId('passkey-name').fill('Test laptop');
    await page.getByTestId('passkey-enrol-submit').click();
    await expect.poll(() => page.getByTestId('passkey-row').allInnerTexts(), { timeout: 15_000 }).toEqual([expect.stringContaining('Test laptop')]);

    await page.getByTestId('sign-out').click();
    await page.getByTestId('sign-in-email').waitFor();
    await submitPassword(page, admin);
    await page.getByTestId('second-factor-passkey').click();
    await page.getByTestId('sign-out').waitFor();
    expect(new URL(page.url()).pathname).toBe('/inbox');
    expect(await fetchStatusInPage(page, '/api/v1/auth/session')).toBe(200);
    await page.getByTestId('nav-account').click();
    await expect.poll(() => page.getByTestId('passkey-row').first().innerText()).toContain('last used');
  });

  it('keeps an agent away from users and the audit log: no link, a no-access page, and 403 from the API', { timeout: 60_000 }, async () => {
    const agent = await createStaff(dashboard, { roleIds: ['agent'], displayName: 'Ari Agent' });
    const page = await openPage();
    await signInThroughUi(page, dashboard, agent);
    await page.getByTestId('inbox-page').waitFor();
    expect(await page.getByTestId('nav-inbox').count()).toBe(1);
    expect(await page.getByTestId('nav-account').count()).toBe(1);
    for (const hidden of ['nav-users', 'nav-audit', 'nav-api-keys', 'nav-settings']) expect(await page.getByTestId(hidden).count(), hidden).toBe(0);
    // Agents see only their own conversations: no filters.
    expect(await page.getByTestId('inbox-filter-all').count()).toBe(0);

    for (const path of ['/users', '/audit']) {
      await page.goto(`${dashboard.url}${path}`);
      await expect.poll(() => page.getByTestId('no-access').innerText()).toContain('You don’t have access to this page');
    }
    await saveScreenshot(page, 'no-access');
    expect(await fetchStatusInPage(page, '/api/v1/users')).toBe(403);
    expect(await fetchStatusInPage(page, '/api/v1/audit/entries')).toBe(403);
  });

  it('returns to sign-in with the session-ended message when the next action finds the session idle past the timeout', { timeout: 60_000 }, async () => {
    const admin = await createStaff(dashboard, { roleIds: ['admin'], displayName: 'Idle Ida' });
    const page = await openPage();
    await signInThroughUi(page, dashboard, admin);
    await page.getByTestId('nav-account').click();
    // Everything the page asks for has been answered: the next request is the user's action.
    await page.getByTestId('own-session-row').first().waitFor();
    await page.getByTestId('totp-state').waitFor();

    // Sixteen minutes of silence, as the server will see it.
    const { db } = dashboard.gateway.rampart.database;
    await db.updateTable('sessions').set({ last_seen_at: Date.now() - 16 * 60_000 }).where('user_id', '=', admin.userId).where('ended_at', 'is', null).execute();
    await page.getByTestId('nav-users').click();

    await expect.poll(() => page.getByTestId('sign-in-notice').innerText(), { timeout: 15_000 }).toBe(SESSION_ENDED);
    expect(new URL(page.url()).pathname).toBe('/sign-in');
    await saveScreenshot(page, 'session-ended');
    expect(await fetchStatusInPage(page, '/api/v1/auth/session')).toBe(401);
  });

  it('serves every page under the strict CSP, and the violation watcher does catch a Trusted Types breach', { timeout: 60_000 }, async () => {
    const page = await openPage();
    for (const path of ['/', '/sign-in', '/setup', '/inbox/11111111-2222-4333-8444-555555555555']) {
      const response = await page.goto(`${dashboard.url}${path}`);
      expect(response?.status(), path).toBe(200);
      expect(response?.headers()['content-security-policy'], path).toBe(DASHBOARD_CSP);
    }
    const script = await page.request.get(`${dashboard.url}${await page.locator('script[type="module"]').getAttribute('src')}`);
    expect(script.headers()['content-security-policy']).toBe(DASHBOARD_CSP);
    expect(await page.locator('script:not([src])').count()).toBe(0);
    expect(await page.locator('style').count()).toBe(0);

    // The same watcher, on its own page, sees a string reaching an HTML sink: the checks above can fail.
    const probe = await openDashboardPage(browser);
    await probe.page.goto(`${dashboard.url}/sign-in`);
    await probe.page.getByTestId('sign-in-email').waitFor();
    const isRefused = await probe.page.evaluate(`(() => {
      try {
        document.body.innerHTML = '<b>not allowed</b>';
        return false;
      } catch {
        return true;
      }
    })()`);
    expect(isRefused).toBe(true);
    await expect.poll(() => probe.watcher.violations()).toEqual(expect.arrayContaining([expect.stringContaining('require-trusted-types-for')]));
    await probe.context.close();
  });
});

noteSkippedWhen(chromiumPath === undefined, 'the staff dashboard in Chromium', missingChromiumMessage);
