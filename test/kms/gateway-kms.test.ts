import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SettingName } from '../../src/config/config-schema.js';
import { startAwsKmsServer } from '../support/aws-kms-server.js';
import type { AwsKmsServer } from '../support/aws-kms-server.js';
import { createSqliteDatabase } from '../support/databases.js';
import type { TestDatabase } from '../support/databases.js';
import { newTextMessage } from '../support/payloads.js';
import { createTestSecrets, startTestGateway } from '../support/test-gateway.js';
import type { TestGateway, TestSecrets } from '../support/test-gateway.js';
import { startVaultTransitServer } from '../support/vault-transit-server.js';
import type { VaultTransitServer } from '../support/vault-transit-server.js';
import { useAwsTestCredentials } from './aws-test-credentials.js';
import { createSoftHsmTokens, isSoftHsmAvailable, SOFTHSM_MODULE, USER_PIN } from './softhsm-token.js';
import type { SoftHsmTokens } from './softhsm-token.js';

type Overrides = Partial<Record<SettingName, string>>;

/**
 * A whole Rampart (src/main.ts builds the KMS with createKmsProvider from RAMPART_KMS) stores a
 * webhook encrypted under each provider's KEK, and reads it back after a restart, when every key has
 * to come through the KMS again.
 */
describe('a gateway with each RAMPART_KMS provider', () => {
  let vault: VaultTransitServer;
  let aws: AwsKmsServer;
  let tokens: SoftHsmTokens | null = null;
  let restoreCredentials: () => void;
  const cleanups: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    vault = await startVaultTransitServer();
    vault.createKey('gateway-kek', { derived: true });
    aws = await startAwsKmsServer();
    restoreCredentials = useAwsTestCredentials(aws);
    if (isSoftHsmAvailable) tokens = createSoftHsmTokens(['rampart']);
  });
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  afterAll(async () => {
    await vault?.close();
    await aws?.close();
    restoreCredentials?.();
    tokens?.remove();
  });

  const providers: { name: string; isAvailable: boolean; overrides: () => Overrides }[] = [
    { name: 'local', isAvailable: true, overrides: () => ({}) },
    {
      name: 'pkcs11',
      isAvailable: isSoftHsmAvailable,
      overrides: () => ({ RAMPART_KMS: `pkcs11:module=${SOFTHSM_MODULE};slot-label=rampart;key-label=gateway-kek`, RAMPART_PKCS11_PIN: USER_PIN }),
    },
    {
      name: 'vault-transit',
      isAvailable: true,
      overrides: () => ({ RAMPART_KMS: `vault-transit:${vault.address}/transit/gateway-kek`, RAMPART_VAULT_TOKEN: vault.token }),
    },
    {
      name: 'aws-kms',
      isAvailable: true,
      overrides: () => ({ RAMPART_KMS: `aws-kms:${aws.createKey()}`, RAMPART_AWS_KMS_ENDPOINT: aws.endpoint }),
    },
  ];

  async function createDatabase(): Promise<TestDatabase> {
    const database = await createSqliteDatabase();
    cleanups.push(() => database.drop());
    return database;
  }

  async function startGateway(database: TestDatabase, secrets: TestSecrets, overrides: Overrides): Promise<TestGateway> {
    const gateway = await startTestGateway(database, { secrets, overrides, runWorkers: false });
    cleanups.push(() => gateway.close());
    return gateway;
  }

  for (const { name, isAvailable, overrides } of providers) {
    it.skipIf(!isAvailable)(`${name}: stores a webhook under the provider's KEK and reads it after a restart`, async () => {
      const database = await createDatabase();
      const secrets = createTestSecrets();
      const settings = overrides();
      const first = await startGateway(database, secrets, settings);
      const message = newTextMessage('4915112345678');
      expect((await first.post(message.body)).status).toBe(200);
      expect((await first.rampart.reader.findMessageByWamid(message.wamid))?.content).toMatchObject({ text: { body: 'hello' } });
      const dataKeys = await first.rampart.database.db.selectFrom('data_keys').select('kek_provider').execute();
      const keyMaterial = await first.rampart.database.db.selectFrom('key_material').select('kek_provider').execute();
      expect(new Set([...dataKeys, ...keyMaterial].map((row) => row.kek_provider))).toEqual(new Set([name]));
      await first.close();
      cleanups.pop();

      const second = await startGateway(database, secrets, settings);
      expect((await second.rampart.reader.findMessageByWamid(message.wamid))?.content).toMatchObject({ text: { body: 'hello' } });
    });
  }

  it('refuses to start on data wrapped by another provider, naming both', async () => {
    const database = await createDatabase();
    const secrets = createTestSecrets();
    const local = await startGateway(database, secrets, {});
    await local.close();
    cleanups.pop();
    const vaultSettings = providers[2]!.overrides();
    await expect(startTestGateway(database, { secrets, overrides: vaultSettings, runWorkers: false })).rejects.toMatchObject({
      code: 'KMS_UNAVAILABLE',
      message: expect.stringMatching(/wrapped by the "local" KMS provider, but RAMPART_KMS selects the "vault-transit" provider/),
    });
  });
});
