import type { KeyStore } from '../crypto/key-store.js';
import type { Db } from '../db/database.js';
import type { SecretKeyring } from './secret-box.js';

/** The key store's system data key (wrapped by the KMS, shared by non-customer data) as the identity keyring. */
export function createSystemKeyring(keys: Pick<KeyStore, 'getSystemKey' | 'getDataKey'>, db: Db): SecretKeyring {
  return {
    getCurrentKey: () => keys.getSystemKey(db),
    // The system key is wrapped with an empty contact id (key-store.ts getSystemKey).
    getKeyById: async (dataKeyId) => (await keys.getDataKey(db, dataKeyId, '')).key,
  };
}
