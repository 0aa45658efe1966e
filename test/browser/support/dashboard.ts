import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { Secret } from 'otpauth';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { SettingName } from '../../../src/config/config-schema.js';
import { createPasswordHasher } from '../../../src/identity/password-hasher.js';
import { enrolmentParameters, generateTotpCode } from '../../../src/identity/totp-code.js';
import { createSqliteDatabase } from '../../support/databases.js';
import { repoRoot } from '../../support/shared-fixtures.js';
import { startTestGateway } from '../../support/test-gateway.js';
import type { TestGateway } from '../../support/test-gateway.js';

/**
 * Helpers for dashboard tests in Chromium against a real, listening gateway: start it, add staff
 * with known passwords and TOTP secrets, open pages that record CSP and Trusted Types violations,
 * sign in through the UI, and save screenshots to test-results/.
 */

export const dashboardDirectory = path.join(repoRoot, 'dist', 'web');
export const screenshotDirectory = path.join(repoRoot, 'test-results');
/** A laptop screen, which the dashboard is designed for. */
export const VIEWPORT = { width: 1280, height: 800 } as const;

/** The dashboard's build (npm test builds it first); built here when absent, so a lone `vitest run test/browser` works. */
export async function ensureDashboardBuilt(): Promise<void> {
  if (existsSync(path.join(dashboardDirectory, 'index.html'))) return;
  const { build } = await import('vite');
  await build({ root: path.join(repoRoot, 'web'), configFile: path.join(repoRoot, 'web', 'vite.config.ts'), logLevel: 'warn' });
}

export interface DashboardGateway {
  /** The public URL, on `localhost` (WebAuthn refuses IP addresses as relying party ids). */
  url: string;
  gateway: TestGateway;
  close(): Promise<void>;
}

/**
 * A gateway on a fresh SQLite store, listening on a free port whose URL is also its public URL
 * (CSRF origin checks, cookies and passkeys are bound to it).
 */
export async function startDashboardGateway(overrides: Partial<Record<SettingName, string>> = {}): Promise<DashboardGateway> {
  await ensureDashboardBuilt();
  const port = await findFreePort();
  const url = `http://localhost:${port}`;
  const database = await createSqliteDatabase();
  const gateway = await startTestGateway(database, { listen: false, overrides: { RAMPART_PUBLIC_URL: url, RAMPART_LOG_LEVEL: 'warn', ...overrides } });
  await gateway.rampart.app.listen({ host: '127.0.0.1', port });
  return {
    url,
    gateway,
    close: async () => {
      await gateway.close();
      await database.drop();
    },
  };
}

async function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** An authenticator app in the test: codes for fresh time steps only, since Rampart refuses a step it has accepted. */
export interface TotpDevice {
  nextCode(): Promise<string>;
}

export function createTotpDevice(secret: Buffer): TotpDevice {
  const parameters = { secret, ...enrolmentParameters };
  const stepMs = enrolmentParameters.period * 1000;
  let lastStep = -1;
  return {
    async nextCode() {
      // Rampart accepts one step either side of now: use the next unused step, waiting if even that is ahead.
      let step = Math.max(Math.floor(Date.now() / stepMs), lastStep + 1);
      while (step > Math.floor(Date.now() / stepMs) + 1) await new Promise((resolve) => setTimeout(resolve, 1_000));
      step = Math.max(step, Math.floor(Date.now() / stepMs));
      lastStep = step;
      return generateTotpCode(parameters, step * stepMs + 1);
    },
  };
}

/** The device for a key as the setup page shows it ("ABCD EFGH …", base32). */
export function createTotpDeviceFromKey(displayedKey: string): TotpDevice {
  const secret = Secret.fromBase32(displayedKey.replace(/\s+/g, ''));
  return createTotpDevice(Buffer.from(secret.bytes));
}

export interface StaffMember {
  userId: string;
  email: string;
  password: string;
  displayName: string;
  totp: TotpDevice;
}

/** argon2id at a test cost; Rampart re-hashes at sign-in with its own parameters. */
const testHasher = createPasswordHasher({ memoryCost: 8_192, timeCost: 2, parallelism: 1 });

/** A user with a known password and an active authenticator app, straight in the store (sign-in itself is what the tests drive). */
export async function createStaff(dashboard: DashboardGateway, { roleIds, displayName = 'Test Person' }: { roleIds: string[]; displayName?: string }): Promise<StaffMember> {
  const { identity, database } = dashboard.gateway.rampart;
  const email = `${roleIds.join('-') || 'nobody'}-${randomBytes(4).toString('hex')}@example.com`;
  const password = `plum ${randomBytes(6).toString('hex')} lantern`;
  const userId = await identity.users.insertUser(database.db, { email, displayName, roleIds, passwordHash: await testHasher.hashPassword(password) });
  const secret = randomBytes(20);
  await identity.totp.storeCredential({ id: randomUUID(), userId, state: 'active', parameters: { secret: Buffer.from(secret), ...enrolmentParameters } });
  return { userId, email, password, displayName, totp: createTotpDevice(secret) };
}

/** What a page reported that the CSP or Trusted Types refused, and uncaught errors. */
export interface PageWatcher {
  violations(): Promise<string[]>;
  pageErrors(): string[];
}

/** Runs in the page before the dashboard's scripts (injected through DevTools, so the page's CSP does not apply to it). */
const VIOLATION_RECORDER = `
  window.rampartTestViolations = [];
  document.addEventListener('securitypolicyviolation', (event) => {
    window.rampartTestViolations.push(event.violatedDirective + ' ' + event.blockedURI + ' ' + event.sample);
  });
`;

/** A fresh browser context (its own cookies) at the laptop size, with a page that records policy violations. */
export async function openDashboardPage(browser: Browser): Promise<{ context: BrowserContext; page: Page; watcher: PageWatcher }> {
  const context = await browser.newContext({ viewport: VIEWPORT, acceptDownloads: true });
  await context.addInitScript({ content: VIOLATION_RECORDER });
  const page = await context.newPage();
  const consoleViolations: string[] = [];
  const pageErrors: string[] = [];
  page.on('console', (message) => {
    if (/Content[- ]Security[- ]Policy|Trusted ?Type|TrustedHTML|TrustedScript/i.test(message.text())) consoleViolations.push(message.text());
  });
  page.on('pageerror', (error) => pageErrors.push(error.message));
  const watcher: PageWatcher = {
    async violations() {
      const fromPage = page.isClosed() ? [] : ((await page.evaluate('window.rampartTestViolations ?? []').catch(() => [])) as string[]);
      return [...consoleViolations, ...fromPage];
    },
    pageErrors: () => [...pageErrors],
  };
  return { context, page, watcher };
}

/** Email and password, then a TOTP code, through the sign-in page; resolves once the signed-in app shows. */
export async function signInThroughUi(page: Page, dashboard: DashboardGateway, staff: StaffMember, { path: startPath = '/sign-in' } = {}): Promise<void> {
  await page.goto(`${dashboard.url}${startPath}`);
  await submitPassword(page, staff);
  await page.getByTestId('second-factor-code').fill(await staff.totp.nextCode());
  await page.getByTestId('second-factor-submit').click();
  await page.getByTestId('sign-out').waitFor();
}

export async function submitPassword(page: Page, staff: Pick<StaffMember, 'email' | 'password'>): Promise<void> {
  await page.getByTestId('sign-in-email').fill(staff.email);
  await page.getByTestId('sign-in-password').fill(staff.password);
  await page.getByTestId('sign-in-submit').click();
}

/** The status the API answers this page's session for a GET (what the server allows, whatever the UI shows). */
export async function fetchStatusInPage(page: Page, apiPath: string): Promise<number> {
  return page.evaluate(async (target) => (await fetch(target, { credentials: 'same-origin' })).status, apiPath);
}

/** Saves test-results/dashboard-<name>.png. */
export async function saveScreenshot(page: Page, name: string): Promise<void> {
  mkdirSync(screenshotDirectory, { recursive: true });
  await page.screenshot({ path: path.join(screenshotDirectory, `dashboard-${name}.png`) });
}
