import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadDatabaseConfig } from '../../src/config/load-config.js';
import { createDatabase } from '../../src/db/database.js';
import type { Database } from '../../src/db/database.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { createApiKeyService } from '../../src/identity/api-key-service.js';
import { createPostgresDatabase } from '../../test/support/databases.js';
import type { CleanupStack } from '../ingress/cleanup-stack.js';

/** Where a phase's gateways keep their data, as the database sees it between and during runs. */
export interface OutboxCounts {
  pendingJobs: number;
  doneJobs: number;
  deadJobs: number;
  queuedMessages: number;
  sentMessages: number;
  failedMessages: number;
}

export interface BenchStore {
  /** RAMPART_DATA_DIR (and RAMPART_DATABASE_URL) for both gateways of a phase. */
  readonly gatewayEnv: Record<string, string>;
  /** A `messages:send` API key, created directly in the database as an operator's CLI would. */
  readonly apiKey: string;
  count(): Promise<OutboxCounts>;
}

/**
 * A fresh data dir (SQLite in it) or, given a server, a fresh PostgreSQL schema selected through
 * search_path and dropped afterwards; migrated, with an API key. The bench's connection stays open
 * beside the gateways (SQLite in WAL mode lets it read every committed transaction meanwhile).
 */
export async function createBenchStore(cleanup: CleanupStack, postgresUrl: string | null): Promise<BenchStore> {
  const gatewayEnv = await prepareDatabase(cleanup, postgresUrl);
  const database = createDatabase(loadDatabaseConfig({ env: {}, overrides: gatewayEnv }));
  cleanup.defer('close the bench connection', () => database.close());
  await migrateToLatest(database.db);
  const clock = { now: () => Date.now() };
  const { key } = await createApiKeyService({ db: database.db, clock }).createApiKey('outbound-bench', ['messages:send']);
  return { gatewayEnv, apiKey: key, count: () => countOutbox(database) };
}

async function prepareDatabase(cleanup: CleanupStack, postgresUrl: string | null): Promise<Record<string, string>> {
  if (postgresUrl === null) {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'rampart-bench-outbound-'));
    cleanup.defer('remove the data dir', () => rmSync(dataDir, { recursive: true, force: true }));
    return { RAMPART_DATA_DIR: dataDir };
  }
  const database = await createPostgresDatabase(postgresUrl);
  cleanup.defer('drop the PostgreSQL schema and remove the data dir', () => database.drop());
  return { RAMPART_DATA_DIR: database.dataDir, RAMPART_DATABASE_URL: database.url! };
}

async function countOutbox({ db }: Database): Promise<OutboxCounts> {
  const jobs = await db.selectFrom('outbox_jobs').select(['state', (eb) => eb.fn.countAll<number>().as('count')]).groupBy('state').execute();
  const messages = await db.selectFrom('outbound_messages').select(['state', (eb) => eb.fn.countAll<number>().as('count')]).groupBy('state').execute();
  const jobCount = (state: string) => Number(jobs.find((row) => row.state === state)?.count ?? 0);
  const messageCount = (state: string) => Number(messages.find((row) => row.state === state)?.count ?? 0);
  return {
    pendingJobs: jobCount('pending'),
    doneJobs: jobCount('done'),
    deadJobs: jobCount('dead'),
    queuedMessages: messageCount('queued'),
    sentMessages: messageCount('sent'),
    failedMessages: messageCount('failed'),
  };
}
