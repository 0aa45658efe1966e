import { randomBytes, randomUUID } from 'node:crypto';
import { Migrator, PostgresAdapter, sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { appendAuditEntries } from '../../src/audit/audit-append.js';
import { rotateAuditSigningKey } from '../../src/audit/audit-key-rotation.js';
import { createAuditLog } from '../../src/audit/audit-log.js';
import { readAuditHead } from '../../src/audit/audit-repository.js';
import { loadAuditSigner } from '../../src/audit/audit-signer.js';
import { listSigningKeys } from '../../src/audit/audit-signing-keys.js';
import { verifyAuditLog } from '../../src/audit/audit-verifier.js';
import { signCheckpoint } from '../../src/audit/checkpoint.js';
import { computeFrontierRoot } from '../../src/audit/merkle-tree.js';
import { createNoteSigner } from '../../src/audit/signed-note.js';
import type { NoteSigner } from '../../src/audit/signed-note.js';
import { loadDatabaseConfig } from '../../src/config/load-config.js';
import type { KmsProvider } from '../../src/crypto/kms.js';
import { createDatabase } from '../../src/db/database.js';
import type { Database, Db } from '../../src/db/database.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { migrations } from '../../src/db/migrations/index.js';
import { dialects, missingPostgresMessage, postgresUrl } from '../support/databases.js';
import type { TestDatabase } from '../support/databases.js';
import { noteSkippedWhen } from '../support/skip-notice.js';
import { conversationRead, createTestClock, databaseEnv, openTestKms, silentLogger } from './support/audit-fixture.js';

// A deployment from before key rotation: one signing key in key_material (purpose
// audit-checkpoint-signing, wrapped for the KMS's signing-key purpose with that purpose as key id),
// its verifier key published in audit_head, checkpoints without a key version. These are the bytes
// the older code wrote; this test writes them the same way, then upgrades.

noteSkippedWhen(postgresUrl === undefined, 'upgrading an audit log with one signing key on postgres', missingPostgresMessage);

const BEFORE_ROTATION = '2026-11-23-006-inbox';
const WITH_ROTATION = '2026-11-23-007-audit-signing-keys';

async function migrateUpTo(db: Db, last: string): Promise<void> {
  const schema = db.getExecutor().adapter instanceof PostgresAdapter ? (await sql<{ schema: string }>`select current_schema() as schema`.execute(db)).rows[0]?.schema : undefined;
  const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations }, ...(schema ? { migrationTableSchema: schema } : {}) });
  const result = await migrator.migrateTo(last);
  if (result.error) throw result.error;
}

/** What the single-key Rampart did: the key, the origin and published verifier key, `count` entries, checkpoints at `at`. */
async function writeSingleKeyLog(database: Database, kms: KmsProvider, { count, at, publish = true }: { count: number; at: readonly number[]; publish?: boolean }): Promise<NoteSigner> {
  const { db, dialect } = database;
  const seed = randomBytes(32);
  const wrapped = await kms.wrapKey(seed, { purpose: 'signing-key', keyId: 'audit-checkpoint-signing', contactId: '' });
  await db
    .insertInto('key_material')
    .values({ purpose: 'audit-checkpoint-signing', kek_provider: wrapped.provider, kek_id: wrapped.kekId, kek_version: wrapped.kekVersion, wrapped_key: wrapped.ciphertext, created_at: 1_700_000_000_000 })
    .execute();
  const origin = `rampart/${randomUUID()}/audit`;
  const signer = createNoteSigner({ keyName: origin, privateKey: seed });
  await db.updateTable('audit_head').set({ origin, verifier_key: publish ? signer.verifierKey : null }).execute();
  for (let index = 0; index < count; index += 1) {
    await db.transaction().execute((trx) => appendAuditEntries(trx, dialect, [conversationRead()], 1_700_000_000_000 + index));
    if (at.includes(index + 1)) {
      const head = await readAuditHead(db);
      const rootHash = computeFrontierRoot(head.frontier);
      const note = signCheckpoint({ origin, size: head.size, rootHash }, [signer]);
      // The row as the older code inserted it: no key version column existed.
      await sql`insert into audit_checkpoints (tree_size, root_hash, note, created_at) values (${head.size}, ${rootHash}, ${note}, ${1_700_000_000_000 + index})`.execute(db);
    }
  }
  return signer;
}

for (const dialect of dialects) {
  describe.skipIf(!dialect.isAvailable)(`upgrading an audit log with one signing key on ${dialect.name}`, () => {
    const closers: (() => Promise<void>)[] = [];
    afterEach(async () => {
      for (const close of closers.splice(0).reverse()) await close();
    });

    async function openOldDeployment(): Promise<{ testDatabase: TestDatabase; database: Database; kms: KmsProvider }> {
      const testDatabase = await dialect.create();
      closers.push(() => testDatabase.drop());
      const database = createDatabase(loadDatabaseConfig({ env: databaseEnv(testDatabase) }));
      closers.push(() => database.close());
      await migrateUpTo(database.db, BEFORE_ROTATION);
      const kms = await openTestKms(testDatabase);
      closers.push(() => kms.close());
      return { testDatabase, database, kms };
    }

    it('carries the old key over as version 1: the old checkpoints verify, pinned and not, and the log goes on under it and after a rotation', async () => {
      const { database, kms } = await openOldDeployment();
      const old = await writeSingleKeyLog(database, kms, { count: 12, at: [5, 9, 12] });
      await migrateToLatest(database.db);
      const db = database.db;

      expect(await listSigningKeys(db)).toEqual([{ version: 1, verifierKey: old.verifierKey, createdAt: 1_700_000_000_000, retiredAt: null, retiredAtTreeSize: null }]);
      expect((await db.selectFrom('audit_checkpoints').select('signing_key_version').execute()).map((row) => row.signing_key_version)).toEqual([1, 1, 1]);
      // Right after the upgrade, before any gateway started: `rampart audit verify` runs the migration itself.
      expect(await verifyAuditLog(db, { verifierKeys: [old.verifierKey] })).toMatchObject({ isIntact: true, entriesChecked: 12, checkpointsChecked: 3 });
      expect(await verifyAuditLog(db)).toMatchObject({ isIntact: true, checkpointsChecked: 3, trustedKeys: { source: 'database', verifierKeys: [old.verifierKey] } });

      // The gateway starts: same key, no new one.
      const signer = await loadAuditSigner({ db, kms, logger: silentLogger });
      expect(signer.current()).toMatchObject({ version: 1, signer: { verifierKey: old.verifierKey } });
      const log = createAuditLog({ db, dialect: database.dialect, signer, clock: createTestClock(), logger: silentLogger });
      closers.push(() => log.close());
      for (let index = 0; index < 3; index += 1) await log.append(conversationRead());
      expect(await log.signCheckpoint()).toMatchObject({ treeSize: 15, signingKeyVersion: 1 });
      const rotated = await rotateAuditSigningKey({ db, dialect: database.dialect, kms, signer, clock: createTestClock() });
      await log.append(conversationRead());
      expect(await log.signCheckpoint()).toMatchObject({ treeSize: 17, signingKeyVersion: 2 });

      expect(await verifyAuditLog(db, { verifierKeys: [old.verifierKey, rotated.current.verifierKey] })).toMatchObject({ isIntact: true, entriesChecked: 17, checkpointsChecked: 6 });
      expect(await verifyAuditLog(db, { verifierKeys: [rotated.current.verifierKey] })).toMatchObject({ isIntact: false, reason: 'checkpoint-key-untrusted', checkpointSize: 5 });
    });

    it('fills in the verifier key of a carried-over key whose verifier key was never published, from the key the KMS unwraps', async () => {
      const { database, kms } = await openOldDeployment();
      const old = await writeSingleKeyLog(database, kms, { count: 3, at: [3], publish: false });
      await migrateToLatest(database.db);
      expect((await listSigningKeys(database.db))[0]?.verifierKey).toBeNull();
      await loadAuditSigner({ db: database.db, kms, logger: silentLogger });
      expect((await listSigningKeys(database.db))[0]?.verifierKey).toBe(old.verifierKey);
      expect(await verifyAuditLog(database.db)).toMatchObject({ isIntact: true, checkpointsChecked: 1 });
    });

    it('rolls back to one key: the key table and the checkpoints\' key column go, version 1 stays in key_material', async () => {
      const { database, kms } = await openOldDeployment();
      const old = await writeSingleKeyLog(database, kms, { count: 4, at: [4] });
      // Up to this migration only, so going back runs its own `down` and no later one's.
      await migrateUpTo(database.db, WITH_ROTATION);
      expect(await listSigningKeys(database.db)).toHaveLength(1);
      await migrateUpTo(database.db, BEFORE_ROTATION);
      // Asked by name, so only this database's own schema answers (other test schemas may hold the tables).
      await expect(database.db.selectFrom('audit_checkpoints').select('signing_key_version').execute()).rejects.toThrow(/signing_key_version/);
      await expect(database.db.selectFrom('audit_signing_keys').selectAll().execute()).rejects.toThrow(/audit_signing_keys/);
      expect(await database.db.selectFrom('audit_checkpoints').select('tree_size').execute()).toHaveLength(1);
      expect(await database.db.selectFrom('key_material').select('purpose').where('purpose', 'like', 'audit-checkpoint-signing%').execute()).toEqual([{ purpose: 'audit-checkpoint-signing' }]);
      expect((await readAuditHead(database.db)).verifierKey).toBe(old.verifierKey);
    });

    it('gives a log that never had a key no key version, and makes version 1 at the first start', async () => {
      const { database, kms } = await openOldDeployment();
      await migrateToLatest(database.db);
      expect(await listSigningKeys(database.db)).toEqual([]);
      const signer = await loadAuditSigner({ db: database.db, kms, logger: silentLogger });
      expect((await listSigningKeys(database.db)).map(({ version, verifierKey }) => ({ version, verifierKey }))).toEqual([{ version: 1, verifierKey: signer.current().signer.verifierKey }]);
      expect((await readAuditHead(database.db)).verifierKey).toBe(signer.current().signer.verifierKey);
    });
  });
}
