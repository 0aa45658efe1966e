import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';
import type { Browser } from 'playwright-core';

/** Debian's Chromium (CI installs it); playwright-core cannot download its own browser here. */
export const chromiumPath = process.env.RAMPART_TEST_CHROMIUM ?? (existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : undefined);
export const missingChromiumMessage = 'skipped: no Chromium at /usr/bin/chromium (apt-get install -y chromium; CI installs it) and RAMPART_TEST_CHROMIUM is not set';

/** Headless, sandboxless (we run as root in CI), and quiet: no background connections to Google. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath!,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}
