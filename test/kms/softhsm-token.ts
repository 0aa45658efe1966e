import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** Debian's softhsm2 package; CI installs it (.ci/run). */
export const SOFTHSM_MODULE = '/usr/lib/softhsm/libsofthsm2.so';
export const isSoftHsmAvailable = existsSync(SOFTHSM_MODULE) && hasSoftHsmUtil();
export const missingSoftHsmMessage = `skipped: ${SOFTHSM_MODULE} or softhsm2-util is missing (Debian package softhsm2; CI installs it)`;

export const USER_PIN = '246810';
const SO_PIN = '13579111';

export interface SoftHsmTokens {
  /** Restores SOFTHSM2_CONF and removes the token directory. */
  remove(): void;
}

/**
 * Fresh tokens in a temporary directory, selected through SOFTHSM2_CONF for this process only, so
 * tests never see or touch the machine's own tokens. Set it before the first provider opens the
 * library: SoftHSM reads the variable in C_Initialize.
 */
export function createSoftHsmTokens(labels: readonly string[]): SoftHsmTokens {
  const directory = mkdtempSync(path.join(tmpdir(), 'rampart-softhsm-'));
  const tokenDirectory = path.join(directory, 'tokens');
  mkdirSync(tokenDirectory, { mode: 0o700 });
  const configPath = path.join(directory, 'softhsm2.conf');
  writeFileSync(configPath, `directories.tokendir = ${tokenDirectory}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n`);
  const env = { ...process.env, SOFTHSM2_CONF: configPath };
  for (const label of labels) {
    execFileSync('softhsm2-util', ['--init-token', '--free', '--label', label, '--pin', USER_PIN, '--so-pin', SO_PIN], { env, stdio: 'ignore' });
  }
  const previous = process.env.SOFTHSM2_CONF;
  process.env.SOFTHSM2_CONF = configPath;
  return {
    remove(): void {
      if (previous === undefined) delete process.env.SOFTHSM2_CONF;
      else process.env.SOFTHSM2_CONF = previous;
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

function hasSoftHsmUtil(): boolean {
  try {
    execFileSync('softhsm2-util', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
