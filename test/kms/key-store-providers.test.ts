import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.js';
import { Secret } from '../../src/config/secret.js';
import { createDataKeyCache } from '../../src/crypto/data-key-cache.js';
import { createKeyStore } from '../../src/crypto/key-store.js';
import type { KeyStore } from '../../src/crypto/key-store.js';
import type { KmsProvider } from '../../src/crypto/kms.js';
import { createKmsProvider } from '../../src/crypto/kms-factory.js';
import type { KmsConfig } from '../../src/crypto/kms-settings.js';
import { createDatabase } from '../../src/db/database.js';
import type { Database } from '../../src/db/database.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { startAwsKmsServer } from '../support/aws-kms-server.js';
import type { AwsKmsServer } from '../support/aws-kms-server.js';
import { makeDataDir } from '../support/databases.js';
import { startVaultTransitServer } from '../support/vault-transit-server.js';
import type { VaultTransitServer } from '../support/vault-transit-server.js';
import { useAwsTestCredentials } from './aws-test-credentials.js';
import { createSoftHsmTokens, isSoftHsmAvailable, SOFTHSM_MODULE, USER_PIN } from './softhsm-token.js';
import type { SoftHsmTokens } from './softhsm-token.js';

/**
 * The key store is provider-neutral: whatever RAMPART_KMS builds, each wrapped key is stored with the
 * provider, KEK and version that wrapped it, opens again from the database alone, and a key wrapped by
 * one provider is refused by another with both named.
 */
describe('the key store with each KMS provider (built by createKmsProvider)', () => {
  let dataDir: string;
  let database: Database;
  let vault: VaultTransitServer;
  let aws: AwsKmsServer;
  let awsKeyArn: string;
  let tokens: SoftHsmTokens | null = null;
  let restoreCredentials: () => void;
  const opened: KmsProvider[] = [];

  beforeAll(async () => {
    dataDir = makeDataDir('rampart-kms-store-');
    database = createDatabase({ kind: 'sqlite', path: path.join(dataDir, 'rampart.sqlite') });
    await migrateToLatest(database.db);
    vault = await startVaultTransitServer();
    vault.createKey('rampart-kek', { derived: true });
    aws = await startAwsKmsServer();
    awsKeyArn = aws.createKey();
    restoreCredentials = useAwsTestCredentials(aws);
    if (isSoftHsmAvailable) tokens = createSoftHsmTokens(['rampart']);
  });
  afterEach(async () => {
    for (const kms of opened.splice(0)) await kms.close();
  });
  afterAll(async () => {
    await database?.close();
    await vault?.close();
    await aws?.close();
    restoreCredentials?.();
    tokens?.remove();
  });

  const configs: { name: string; isAvailable: boolean; config: () => KmsConfig }[] = [
    { name: 'local', isAvailable: true, config: () => ({ provider: 'local', masterKey: new Secret(Buffer.alloc(32, 9).toString('base64')), keyringPath: path.join(dataDir, 'keyring.json') }) },
    { name: 'pkcs11', isAvailable: isSoftHsmAvailable, config: () => ({ provider: 'pkcs11', modulePath: SOFTHSM_MODULE, tokenLabel: 'rampart', keyLabel: 'rampart-kek', pin: new Secret(USER_PIN) }) },
    { name: 'vault-transit', isAvailable: true, config: () => ({ provider: 'vault-transit', address: vault.address, mountPath: 'transit', keyName: 'rampart-kek', token: new Secret(vault.token), namespace: null }) },
    { name: 'aws-kms', isAvailable: true, config: () => ({ provider: 'aws-kms', keyArn: awsKeyArn, region: aws.region, endpoint: aws.endpoint }) },
  ];

  async function openKeyStore(config: KmsConfig): Promise<{ kms: KmsProvider; keys: KeyStore }> {
    const kms = await createKmsProvider({ kms: config });
    opened.push(kms);
    const cache = createDataKeyCache({ maxAgeMs: 60_000, maxUses: 1_000, maxEntries: 100, clock: systemClock });
    return { kms, keys: createKeyStore({ kms, cache }) };
  }

  for (const { name, isAvailable, config } of configs) {
    it.skipIf(!isAvailable)(`${name}: records provider, KEK and version per key, and opens them again with a cold cache`, async () => {
      const { kms, keys } = await openKeyStore(config());
      expect(kms.provider).toBe(name);
      const contactId = `contact-${name}`;
      const created = await keys.createDataKey(database.db, `contact:${contactId}`, contactId);
      const row = await database.db.selectFrom('data_keys').selectAll().where('id', '=', created.keyInfo.dataKeyId).executeTakeFirstOrThrow();
      expect(row).toMatchObject({ kek_provider: name, kek_id: kms.kekId, kek_version: kms.currentVersion() });
      expect(Buffer.from(row.wrapped_key).includes(created.key)).toBe(false);

      const reopened = await openKeyStore(config());
      expect((await reopened.keys.getDataKey(database.db, created.keyInfo.dataKeyId, contactId)).key).toEqual(created.key);
      await expect(reopened.keys.getDataKey(database.db, created.keyInfo.dataKeyId, 'someone-else')).rejects.toMatchObject({ code: 'DECRYPT_FAILED' });
    });
  }

  it('aws-kms: new keys come from GenerateDataKey, not from Rampart', async () => {
    const { keys } = await openKeyStore(configs[3]!.config());
    const before = aws.requests.length;
    await keys.createDataKey(database.db, 'contact:aws-generated', 'aws-generated');
    expect(aws.requests.slice(before).map((request) => request.target)).toEqual(['TrentService.GenerateDataKey']);
  });

  it('refuses a key wrapped by another provider, naming both, and never calls the other KMS with it', async () => {
    const local = await openKeyStore(configs[0]!.config());
    const created = await local.keys.createDataKey(database.db, 'contact:moved', 'moved');
    const { keys } = await openKeyStore(configs[2]!.config());
    const vaultRequests = vault.requests.length;
    await expect(keys.getDataKey(database.db, created.keyInfo.dataKeyId, 'moved')).rejects.toMatchObject({
      code: 'KMS_UNAVAILABLE',
      message: expect.stringMatching(/wrapped by the "local" KMS provider, but RAMPART_KMS selects the "vault-transit" provider/),
    });
    expect(vault.requests.length).toBe(vaultRequests);
  });

  it('aws-kms: two processes starting together share one stored audit signing key', async () => {
    const first = await openKeyStore(configs[3]!.config());
    const second = await openKeyStore(configs[3]!.config());
    const [a, b] = await Promise.all([first.keys.loadAuditSigningKey(database.db), second.keys.loadAuditSigningKey(database.db)]);
    expect(a).toEqual(b);
    expect(a.equals(randomBytes(32))).toBe(false);
  });
});
