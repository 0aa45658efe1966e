/**
 * `rampart keys` in a process of its own, for pkcs11-rotation.test.ts: opens the pkcs11 provider on
 * the SoftHSM2 token that SOFTHSM2_CONF selects, runs the steps given, and prints one JSON line.
 *
 *   node --import tsx test/kms/pkcs11-keys-process.ts <token-label> <key-label> create-version retire:1 wrap
 *
 * `wrap` wraps a fresh random test key (printed, with its wrap) under the data-key context below.
 */
import { randomBytes } from 'node:crypto';
import type { WrapContext } from '../../src/crypto/kms.js';
import { createPkcs11Kms } from '../../src/crypto/pkcs11-kms.js';
import { SOFTHSM_MODULE, USER_PIN } from './softhsm-token.js';

export const childWrapContext: WrapContext = { purpose: 'data-key', keyId: 'dk-child', contactId: 'contact-child' };

interface ChildReport {
  created: number[];
  wrapped: { key: string; kekVersion: number; ciphertext: string } | null;
}

async function runSteps(tokenLabel: string, keyLabel: string, steps: string[]): Promise<ChildReport> {
  const kms = await createPkcs11Kms({ modulePath: SOFTHSM_MODULE, tokenLabel, keyLabel, pin: USER_PIN });
  const report: ChildReport = { created: [], wrapped: null };
  try {
    for (const step of steps) {
      if (step === 'create-version') {
        report.created.push(await kms.rotation.createVersion());
      } else if (step.startsWith('retire:')) {
        await kms.rotation.retireVersion(Number(step.slice('retire:'.length)));
      } else if (step === 'wrap') {
        const key = randomBytes(32);
        const wrapped = await kms.wrapKey(key, childWrapContext);
        report.wrapped = { key: key.toString('hex'), kekVersion: wrapped.kekVersion, ciphertext: wrapped.ciphertext.toString('base64') };
      } else {
        throw new Error(`unknown step ${step}`);
      }
    }
    return report;
  } finally {
    await kms.close();
  }
}

if (process.argv[1]?.endsWith('pkcs11-keys-process.ts')) {
  const [tokenLabel = '', keyLabel = '', ...steps] = process.argv.slice(2);
  runSteps(tokenLabel, keyLabel, steps).then(
    (report) => process.stdout.write(`${JSON.stringify(report)}\n`),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
