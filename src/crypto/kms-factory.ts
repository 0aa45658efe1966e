/**
 * Builds the KMS provider RAMPART_KMS selects. The composition root and the CLI call this, never a
 * provider directly, so a deployment switches providers by configuration alone.
 */
import { systemClock } from '../clock.js';
import type { Clock } from '../clock.js';
import { createAwsKms } from './aws-kms.js';
import type { KmsProvider } from './kms.js';
import type { KmsConfig } from './kms-settings.js';
import { createLocalKms, parseMasterKey } from './local-kms.js';
import { createPkcs11Kms } from './pkcs11-kms.js';
import { createVaultTransitKms } from './vault-transit-kms.js';

export interface CreateKmsProviderOptions {
  /** Stamps createdAt on new local KEK versions and paces the local and pkcs11 providers' keyring re-reads. */
  clock?: Clock;
}

export async function createKmsProvider(config: { readonly kms: KmsConfig }, options: CreateKmsProviderOptions = {}): Promise<KmsProvider> {
  const kms = config.kms;
  switch (kms.provider) {
    case 'local':
      return createLocalKms({ keyringPath: kms.keyringPath, masterKey: parseMasterKey(kms.masterKey.reveal()), clock: options.clock ?? systemClock });
    case 'pkcs11':
      return createPkcs11Kms({ modulePath: kms.modulePath, tokenLabel: kms.tokenLabel, keyLabel: kms.keyLabel, pin: kms.pin.reveal(), clock: options.clock ?? systemClock });
    case 'vault-transit':
      return createVaultTransitKms({ address: kms.address, mountPath: kms.mountPath, keyName: kms.keyName, token: kms.token, namespace: kms.namespace });
    case 'aws-kms':
      return createAwsKms({ keyArn: kms.keyArn, region: kms.region, endpoint: kms.endpoint });
  }
}

/**
 * What `rampart doctor` (and the start log) should say about the KMS choice: the local provider keeps
 * its KEKs in a file beside the data, protected only by RAMPART_MASTER_KEY, which is fine for the
 * sandbox and a weak point in production.
 */
export function describeKmsWarnings(config: { readonly kms: KmsConfig; readonly isSandbox: boolean }): string[] {
  if (config.kms.provider !== 'local' || config.isSandbox) return [];
  return [
    'RAMPART_KMS=local keeps the key-encryption keys in a keyring file in the data directory, sealed only by ' +
      'RAMPART_MASTER_KEY: whoever has both reads every message. In production prefer a KMS that never releases ' +
      'its keys: pkcs11:… (an HSM), vault-transit:… or aws-kms:… (see docs/kms.md).',
  ];
}
