import { createSoftHsmTokens, isSoftHsmAvailable, SOFTHSM_MODULE, USER_PIN } from '../kms/softhsm-token.js';

/**
 * `RAMPART_TEST_KMS=pkcs11` runs test gateways against a SoftHSM2 token instead of the local keyring
 * (`npm run test:ingress:softhsm`): one fresh token per test process, removed when it exits. Unset,
 * gateways use the default local provider. Test files that pick a provider themselves override this.
 */
export const testKmsSettings: Readonly<Record<string, string>> = selectTestKms();

function selectTestKms(): Record<string, string> {
  const choice = process.env.RAMPART_TEST_KMS;
  if (choice === undefined || choice === '' || choice === 'local') return {};
  if (choice !== 'pkcs11') throw new Error(`RAMPART_TEST_KMS=${choice}: only local and pkcs11 are supported here`);
  if (!isSoftHsmAvailable) throw new Error(`RAMPART_TEST_KMS=pkcs11 needs SoftHSM2 (${SOFTHSM_MODULE} and softhsm2-util; Debian package softhsm2)`);
  const tokens = createSoftHsmTokens(['rampart-test']);
  process.once('exit', () => tokens.remove());
  const configPath = process.env.SOFTHSM2_CONF as string;
  // Child gateways (spawnGateway) get only the environment they are given: pass the token directory on.
  return {
    RAMPART_KMS: `pkcs11:module=${SOFTHSM_MODULE};slot-label=rampart-test;key-label=rampart-kek`,
    RAMPART_PKCS11_PIN: USER_PIN,
    SOFTHSM2_CONF: configPath,
  };
}

/** The settings without the process environment entry (for loadConfig overrides, which know only RAMPART_ names). */
export function testKmsConfigOverrides(): Record<string, string> {
  return Object.fromEntries(Object.entries(testKmsSettings).filter(([name]) => name.startsWith('RAMPART_')));
}
