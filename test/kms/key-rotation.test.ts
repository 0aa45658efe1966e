import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.js';
import { runKeysRetire, runKeysRotate, runKeysStatus } from '../../src/cli/kek-command.js';
import type { KekCommandIo } from '../../src/cli/kek-command.js';
import { loadConfig } from '../../src/config/load-config.js';
import { createDataKeyCache } from '../../src/crypto/data-key-cache.js';
import { createKeyRotation } from '../../src/crypto/key-rotation.js';
import type { KeyRotationStatus } from '../../src/crypto/key-rotation.js';
import { contactKeyOwner, createKeyStore, dataKeyWrapContext, keyMaterialWrapContext } from '../../src/crypto/key-store.js';
import { signingKeyPurposeOf, signingKeyWrapContext } from '../../src/audit/audit-signing-keys.js';
import type { KmsProvider } from '../../src/crypto/kms.js';
import { createKmsProvider } from '../../src/crypto/kms-factory.js';
import { createLocalKms } from '../../src/crypto/local-kms.js';
import { randomBytes } from '../../src/crypto/primitives.js';
import { createDatabase } from '../../src/db/database.js';
import type { Database } from '../../src/db/database.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { dialects, missingPostgresMessage, postgresUrl } from '../support/databases.js';
import type { TestDatabase } from '../support/databases.js';
import { noteSkippedWhen } from '../support/skip-notice.js';

noteSkippedWhen(postgresUrl === undefined, 'KEK rotation on postgres', missingPostgresMessage);

const CONTACTS = 300;

for (const dialect of dialects) {
  describe.skipIf(!dialect.isAvailable)(`KEK rotation (${dialect.name})`, () => {
    let testDatabase: TestDatabase;
    let database: Database;
    let keyringPath: string;
    let masterKey: Buffer;
    let expected: Map<string, Buffer>;
    const opened: KmsProvider[] = [];

    async function openKms(options: { refreshIntervalMs?: number } = {}) {
      const kms = await createLocalKms({ keyringPath, masterKey, ...options });
      opened.push(kms);
      return kms;
    }

    /** What a gateway does to read a contact's key: the row as stored now, unwrapped by its own KMS. */
    async function readKey(kms: KmsProvider, id: string): Promise<Buffer> {
      const row = await database.db.selectFrom('data_keys').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
      return kms.unwrapKey({ provider: row.kek_provider, kekId: row.kek_id, kekVersion: row.kek_version, ciphertext: row.wrapped_key }, dataKeyWrapContext(row));
    }

    beforeEach(async () => {
      testDatabase = await dialect.create();
      database = createDatabase(testDatabase.url ? loadConfig({ env: { RAMPART_SANDBOX: 'true', RAMPART_DATA_DIR: testDatabase.dataDir, RAMPART_DATABASE_URL: testDatabase.url } }).database : { kind: 'sqlite', path: path.join(testDatabase.dataDir, 'rampart.sqlite') });
      await migrateToLatest(database.db);
      keyringPath = path.join(testDatabase.dataDir, 'keyring.json');
      masterKey = randomBytes(32);
      const kms = await openKms();
      const keys = createKeyStore({ kms, cache: createDataKeyCache({ maxAgeMs: 60_000, maxUses: 1_000, maxEntries: 10, clock: systemClock }) });
      expected = new Map();
      await database.db.transaction().execute(async (trx) => {
        for (let index = 0; index < CONTACTS; index += 1) {
          const contactId = `contact-${index}`;
          const { keyInfo, key } = await keys.createDataKey(trx, contactKeyOwner(contactId), contactId);
          expected.set(keyInfo.dataKeyId, Buffer.from(key));
        }
      });
      await keys.loadIndexRootKey(database.db);
      await keys.loadAuditSigningKey(database.db);
    });

    afterEach(async () => {
      for (const kms of opened.splice(0)) await kms.close();
      await database.close();
      await testDatabase.drop();
    });

    function keysOn(status: KeyRotationStatus, version: number): number {
      const entry = status.versions.find((candidate) => candidate.version === version);
      return entry ? entry.wrappedKeys.data_keys + entry.wrappedKeys.key_material : 0;
    }

    it('rewraps every key onto the new version while a gateway keeps reading them, with no failed read', async () => {
      const rotator = await openKms();
      const gateway = await openKms();
      const rotation = createKeyRotation({ db: database.db, kms: rotator, clock: systemClock, batchSize: 40, settleMs: 0 });
      const ids = [...expected.keys()];
      let isRotating = true;
      let reads = 0;
      const failures: unknown[] = [];
      const reader = (async () => {
        while (isRotating) {
          const id = ids[reads % ids.length] as string;
          try {
            expect((await readKey(gateway, id)).equals(expected.get(id) as Buffer)).toBe(true);
          } catch (error) {
            failures.push(error);
          }
          reads += 1;
          // better-sqlite3 answers without I/O: yield so the rotation's own file and timer work can run.
          await new Promise((resolve) => setImmediate(resolve));
        }
      })();
      const progress: number[] = [];
      const report = await rotation.rotate(({ rewrapped }) => progress.push(rewrapped));
      isRotating = false;
      await reader;

      expect(failures).toEqual([]);
      // Reads interleave with the rotation's batches; how many fit depends on the machine.
      expect(reads).toBeGreaterThan(10);
      expect(report).toMatchObject({ fromVersion: 1, toVersion: 2, remaining: 0, failures: [], rewrapped: { data_keys: CONTACTS, key_material: 2 } });
      expect(progress.at(-1)).toBe(CONTACTS + 2);
      const status = await rotation.status();
      expect([keysOn(status, 1), keysOn(status, 2)]).toEqual([0, CONTACTS + 2]);

      await rotation.retire(1);
      await gateway.refresh();
      for (const id of ids) expect((await readKey(gateway, id)).equals(expected.get(id) as Buffer)).toBe(true);
      expect((await rotation.status()).versions.map((entry) => [entry.version, entry.state, entry.isCurrent])).toEqual([[1, 'retired', false], [2, 'active', true]]);
    });

    it('refuses to retire a version that keys still depend on, or the current one, and changes nothing', async () => {
      const kms = await openKms();
      const rotation = createKeyRotation({ db: database.db, kms, clock: systemClock, settleMs: 0 });
      await kms.rotation?.createVersion();
      await expect(rotation.retire(1)).rejects.toMatchObject({ code: 'KEY_ROTATION_REFUSED', message: expect.stringContaining(`${CONTACTS + 2} wrapped key(s) still depend on KEK version 1`) });
      await expect(rotation.retire(2)).rejects.toMatchObject({ code: 'KEY_ROTATION_REFUSED', message: expect.stringContaining('is the current KEK version') });
      expect((await kms.rotation?.listVersions())?.map((entry) => entry.state)).toEqual(['active', 'active']);
      const [id, key] = [...expected.entries()][0] as [string, Buffer];
      expect((await readKey(kms, id)).equals(key)).toBe(true);
    });

    it('finishes an interrupted rotation when rewrap runs again', async () => {
      const kms = await openKms();
      const rotation = createKeyRotation({ db: database.db, kms, clock: systemClock, batchSize: 50, settleMs: 0 });
      await expect(
        rotation.rotate(({ rewrapped }) => {
          if (rewrapped >= 100) throw new Error('killed mid-run');
        }),
      ).rejects.toThrow('killed mid-run');
      const halfway = await rotation.status();
      expect(keysOn(halfway, 2)).toBe(100);
      const report = await rotation.rewrap();
      expect(report).toMatchObject({ toVersion: 2, remaining: 0, rewrapped: { data_keys: CONTACTS - 100, key_material: 2 } });
      for (const [id, key] of expected) expect((await readKey(kms, id)).equals(key)).toBe(true);
    });

    it('moves keys a gateway wrapped under the old version before it learned of the new one', async () => {
      const kms = await openKms();
      // A gateway that re-reads the keyring only every hour keeps wrapping under version 1.
      const staleGateway = await openKms({ refreshIntervalMs: 3_600_000 });
      const keys = createKeyStore({ kms: staleGateway, cache: createDataKeyCache({ maxAgeMs: 1, maxUses: 1, maxEntries: 1, clock: systemClock }) });
      const rotation = createKeyRotation({ db: database.db, kms, clock: systemClock, batchSize: 50, settleMs: 300 });
      let late: { id: string; key: Buffer } | null = null;
      const report = await rotation.rotate(() => {
        if (late) return;
        late = { id: '', key: Buffer.alloc(0) };
        void keys.createDataKey(database.db, contactKeyOwner('contact-late'), 'contact-late').then(({ keyInfo, key }) => {
          expect(keyInfo.kekVersion).toBe(1);
          late = { id: keyInfo.dataKeyId, key: Buffer.from(key) };
        });
      });
      expect(report.remaining).toBe(0);
      expect(report.rewrapped.data_keys).toBe(CONTACTS + 1);
      expect(report.passes).toBeGreaterThan(1);
      const { id, key } = late as unknown as { id: string; key: Buffer };
      expect((await readKey(kms, id)).equals(key)).toBe(true);
    });

    it('leaves a key erased during the rewrap erased, and reports a damaged wrap by id without stopping', async () => {
      const kms = await openKms();
      const [erasedId, damagedId] = [...expected.keys()];
      await database.db.updateTable('data_keys').set({ wrapped_key: randomBytes(60) }).where('id', '=', damagedId as string).execute();
      // The erasure lands between the rotation's read of the row and its write.
      const erasing: KmsProvider = {
        ...kms,
        async unwrapKey(wrapped, context) {
          if (context.keyId === erasedId) await database.db.deleteFrom('data_keys').where('id', '=', erasedId).execute();
          return kms.unwrapKey(wrapped, context);
        },
      };
      const rotation = createKeyRotation({ db: database.db, kms: erasing, clock: systemClock, settleMs: 0 });
      const report = await rotation.rotate();
      expect(report.skipped).toBe(1);
      expect(report.failures).toEqual([{ table: 'data_keys', key: damagedId, reason: expect.stringContaining('DECRYPT_FAILED') }]);
      expect(report.remaining).toBe(1);
      expect(await database.db.selectFrom('data_keys').select('id').where('id', '=', erasedId as string).executeTakeFirst()).toBeUndefined();
      await expect(rotation.retire(1)).rejects.toMatchObject({ code: 'KEY_ROTATION_REFUSED' });
    });

    it('explains that a KMS rotating inside itself has nothing to rewrap', async () => {
      const kms = await openKms();
      const insideOnly: KmsProvider = { ...kms, rotation: undefined };
      const rotation = createKeyRotation({ db: database.db, kms: insideOnly, clock: systemClock });
      await expect(rotation.rotate()).rejects.toMatchObject({ code: 'KEY_ROTATION_REFUSED', message: expect.stringContaining('nothing for Rampart to rewrap') });
      expect((await rotation.status()).canRotate).toBe(false);
    });
  });
}

describe('wrap contexts of key_material rows', () => {
  it('rewraps every audit signing key version with the context the audit slice unwraps it with', () => {
    for (const version of [1, 2, 17]) expect(keyMaterialWrapContext(signingKeyPurposeOf(version))).toEqual(signingKeyWrapContext(version));
    expect(keyMaterialWrapContext('audit-checkpoint-signing-v0')).toBeNull();
    expect(keyMaterialWrapContext('something-else')).toBeNull();
  });
});

describe('rampart keys status | rotate | retire', () => {
  let testDatabase: TestDatabase;

  beforeEach(async () => {
    testDatabase = await dialects[0]!.create();
  });
  afterEach(async () => {
    await testDatabase.drop();
  });

  function captureIo(env: NodeJS.ProcessEnv) {
    const output = { stdout: '', stderr: '' };
    const io: KekCommandIo = {
      env,
      stdout: { write: (chunk) => (output.stdout += chunk) },
      stderr: { write: (chunk) => (output.stderr += chunk) },
      setExitCode: () => undefined,
      progressIntervalMs: 0,
      settleMs: 0,
    };
    return { io, output };
  }

  it('rotates with progress, refuses to retire the current version, retires the old one, and audits each step', async () => {
    const env = { RAMPART_SANDBOX: 'true', RAMPART_DATA_DIR: testDatabase.dataDir };
    const config = loadConfig({ env });
    const database = createDatabase(config.database);
    await migrateToLatest(database.db);
    const kms = await createKmsProvider(config);
    const keys = createKeyStore({ kms, cache: createDataKeyCache({ maxAgeMs: 1, maxUses: 1, maxEntries: 1, clock: systemClock }) });
    for (let index = 0; index < 5; index += 1) await keys.createDataKey(database.db, contactKeyOwner(`c${index}`), `c${index}`);
    await kms.close();

    const rotated = captureIo(env);
    expect(await runKeysRotate(rotated.io)).toBe(0);
    expect(rotated.output.stdout).toContain('created KEK version 2 (was 1)');
    expect(rotated.output.stdout).toContain('rewrapped 5 key(s) onto version 2');
    expect(rotated.output.stdout).toContain('rampart keys retire 1');
    expect(rotated.output.stderr).toMatch(/rewrapped 5 of 5 keys/);

    const refused = captureIo(env);
    expect(await runKeysRetire('2', refused.io)).toBe(1);
    expect(refused.output.stderr).toContain('is the current KEK version');
    expect(await runKeysRetire('v1', captureIo(env).io)).toBe(2);

    const retired = captureIo(env);
    expect(await runKeysRetire('1', retired.io)).toBe(0);
    expect(retired.output.stdout).toContain('retired KEK version 1');

    const status = captureIo(env);
    expect(await runKeysStatus({ json: true }, status.io)).toBe(0);
    const parsed = JSON.parse(status.output.stdout) as KeyRotationStatus;
    expect(parsed.versions.map((entry) => [entry.version, entry.state, entry.wrappedKeys.data_keys])).toEqual([[1, 'retired', 0], [2, 'active', 5]]);

    const entries = await database.db.selectFrom('audit_entries').select(['action', 'outcome', 'resource_id']).orderBy('seq').execute();
    expect(entries.filter((entry) => entry.action.startsWith('kek.')).map((entry) => [entry.action, entry.outcome])).toEqual([
      ['kek.rotate', 'success'],
      ['kek.retire', 'denied'],
      ['kek.retire', 'success'],
    ]);
    await database.close();
  });
});
