import { randomBytes, randomUUID } from 'node:crypto';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import type { dialects, TestDatabase } from '../../support/databases.js';
import { createAuditLog } from '../../../src/audit/audit-log.js';
import type { AuditLog } from '../../../src/audit/audit-log.js';
import type { AuditEntryInput } from '../../../src/audit/audit-entry.js';
import { loadAuditSigner } from '../../../src/audit/audit-signer.js';
import type { AuditSigner } from '../../../src/audit/audit-signer.js';
import type { NoteSigner } from '../../../src/audit/signed-note.js';
import type { Clock } from '../../../src/clock.js';
import { loadDatabaseConfig } from '../../../src/config/load-config.js';
import type { KmsProvider } from '../../../src/crypto/kms.js';
import { createLocalKms } from '../../../src/crypto/local-kms.js';
import { createDatabase } from '../../../src/db/database.js';
import type { Database } from '../../../src/db/database.js';
import { migrateToLatest } from '../../../src/db/migrate.js';
import { createLogger } from '../../../src/logger.js';

export const silentLogger = createLogger('silent');

/** Seals the keyring each test database's data dir gets; every KMS a test opens on that dir shares its keys. */
const TEST_MASTER_KEY = randomBytes(32);

/**
 * One database per suite, emptied before each test. Creating and dropping a PostgreSQL schema per
 * test races Kysely's migrator, which introspects every schema of the database (a schema dropped
 * by a parallel test file mid-query fails it with 3F000/42P01); one schema per suite keeps that
 * churn low.
 */
export function useAuditDatabase(dialect: (typeof dialects)[number]): () => TestDatabase {
  let testDatabase: TestDatabase | undefined;
  let admin: Database | undefined;
  beforeAll(async () => {
    testDatabase = await dialect.create();
    admin = await openDatabase(testDatabase);
  });
  beforeEach(async () => {
    if (admin) await resetAuditTables(admin);
  });
  afterAll(async () => {
    await admin?.close();
    await testDatabase?.drop();
  });
  return () => {
    if (!testDatabase) throw new Error('the suite database is not open');
    return testDatabase;
  };
}

/** Back to a freshly migrated log: no entries, nodes, checkpoints, origin or signing keys. */
async function resetAuditTables({ db }: Database): Promise<void> {
  await db.deleteFrom('audit_checkpoints').execute();
  await db.deleteFrom('audit_nodes').execute();
  await db.deleteFrom('audit_entries').execute();
  await db.deleteFrom('audit_signing_keys').execute();
  await db.deleteFrom('key_material').where('purpose', 'like', 'audit-checkpoint-signing%').execute();
  await db.updateTable('audit_head').set({ size: 0, frontier: Buffer.alloc(0), origin: null, verifier_key: null, updated_at: 0 }).execute();
}

/** A clock tests can read and move. */
export function createTestClock(start = Date.UTC(2026, 10, 23, 9, 0, 0)): Clock & { advance(ms: number): void } {
  let now = start;
  return { now: () => now, advance: (ms) => (now += ms) };
}

export function databaseEnv(testDatabase: TestDatabase): NodeJS.ProcessEnv {
  return { RAMPART_DATA_DIR: testDatabase.dataDir, ...(testDatabase.url ? { RAMPART_DATABASE_URL: testDatabase.url } : {}) };
}

/** Another connection (pool) to the same database, as a second gateway process would have. */
export async function openDatabase(testDatabase: TestDatabase): Promise<Database> {
  const database = createDatabase(loadDatabaseConfig({ env: databaseEnv(testDatabase) }));
  await migrateToLatest(database.db);
  return database;
}

/** The local KMS on the test database's data dir (a keyring sealed by the suite's master key), as the gateway would open it. */
export async function openTestKms(testDatabase: TestDatabase): Promise<KmsProvider> {
  return createLocalKms({ keyringPath: path.join(testDatabase.dataDir, 'keyring.json'), masterKey: TEST_MASTER_KEY });
}

export interface AuditFixture {
  database: Database;
  log: AuditLog;
  signer: AuditSigner;
  kms: KmsProvider;
  /** The current key's note signer (changes when the key is rotated). */
  noteSigner(): NoteSigner;
  close(): Promise<void>;
}

/** A migrated database with a log whose signer went through the real origin, key creation (KMS) and publication. */
export async function openAuditLog(testDatabase: TestDatabase, options: { clock?: Clock } = {}): Promise<AuditFixture> {
  const database = await openDatabase(testDatabase);
  const kms = await openTestKms(testDatabase);
  const signer = await loadAuditSigner({ db: database.db, kms, logger: silentLogger });
  const log = createAuditLog({ db: database.db, dialect: database.dialect, signer, clock: options.clock ?? createTestClock(), logger: silentLogger });
  return {
    database,
    log,
    signer,
    kms,
    noteSigner: () => signer.current().signer,
    async close() {
      await log.close();
      await kms.close();
      await database.close();
    },
  };
}

/** A typical decrypting read: an agent opens a conversation. */
export function conversationRead(overrides: Partial<AuditEntryInput> = {}): AuditEntryInput {
  const contactId = randomUUID();
  return {
    actor: { type: 'user', id: randomUUID() },
    action: 'conversation.read',
    resource: { type: 'conversation', id: contactId },
    subjectContactId: contactId,
    sourceAddress: '203.0.113.7',
    requestId: `req-${randomUUID()}`,
    outcome: 'success',
    details: { messages: 12 },
    ...overrides,
  };
}
