import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import pg from 'pg';
import { createPostgresDatabase } from '../../test/support/databases.js';
import type { BenchSettings, TargetName } from './bench-settings.js';
import { findFreePort, spawnNode, waitUntilReady } from './child-process.js';
import type { ChildHandle } from './child-process.js';
import type { CleanupStack } from './cleanup-stack.js';
import type { GatewayEntry } from './gateway-build.js';

export interface StoredCounts {
  messages: number;
  contacts: number;
}

export interface StartedTarget {
  readonly name: TargetName;
  /** Base URL; the webhook is at `/webhooks/whatsapp`. */
  readonly url: string;
  readonly child: ChildHandle;
  /** The app secret the target verifies signatures with (the baseline ignores signatures). */
  readonly appSecret: string;
  /** What the target has stored; null for the baseline, which stores nothing. */
  countStored(): Promise<StoredCounts | null>;
  /**
   * Starts one more process of the same target: for Rampart on PostgreSQL, a gateway on the same
   * database with the same secrets and a copy of the keyring (README: several gateways); for the
   * baseline, another bare server. Stopped by the same cleanup.
   */
  startPeer(): Promise<{ url: string; child: ChildHandle }>;
}

export interface TargetContext {
  settings: BenchSettings;
  /** How to run `rampart start`; null when no Rampart target was selected. */
  gateway: GatewayEntry | null;
  /** Everything the target leaves behind is registered here. */
  cleanup: CleanupStack;
}

/** Starts one target as a child process and waits until it is ready for traffic. */
export async function startTarget(name: TargetName, context: TargetContext): Promise<StartedTarget> {
  if (name === 'baseline') return startBaseline(context.cleanup);
  if (context.gateway === null) throw new Error(`${name} needs a gateway entry`);
  return startRampart(name, context.gateway, context);
}

async function startBaseline(cleanup: CleanupStack): Promise<StartedTarget> {
  const spawnBareServer = async () => {
    const port = await findFreePort();
    const child = spawnNode({ script: 'bench/ingress/bare-server.ts', isTypeScript: true, env: { BENCH_PORT: String(port) } });
    cleanup.defer('stop the baseline server', () => child.stop());
    const url = `http://127.0.0.1:${port}`;
    await waitUntilReady(child, `${url}/readyz`);
    return { url, child };
  };
  const first = await spawnBareServer();
  return { name: 'baseline', ...first, appSecret: randomBytes(32).toString('hex'), countStored: async () => null, startPeer: spawnBareServer };
}

async function startRampart(
  name: Exclude<TargetName, 'baseline'>,
  gateway: GatewayEntry,
  { settings, cleanup }: TargetContext,
): Promise<StartedTarget> {
  const database = await prepareDatabase(name, settings, cleanup);
  const secrets = {
    WHATSAPP_APP_SECRET: randomBytes(32).toString('hex'),
    WHATSAPP_VERIFY_TOKEN: randomBytes(16).toString('hex'),
    RAMPART_MASTER_KEY: randomBytes(32).toString('base64'),
  };
  const spawnGateway = async (dataDir: string, label: string) => {
    const port = await findFreePort();
    const child = spawnNode({
      ...gateway,
      args: ['start'],
      nodeArgs: cpuProfileArgs(name, settings),
      env: {
        RAMPART_DATA_DIR: dataDir,
        ...(database.url ? { RAMPART_DATABASE_URL: database.url } : {}),
        RAMPART_HOST: '127.0.0.1',
        RAMPART_PORT: String(port),
        // Info logs one line per webhook; the bench measures the gateway, not the terminal.
        RAMPART_LOG_LEVEL: 'warn',
        // All load comes from one address, so the per-address default could cap the run (see
        // RAMPART_RATE_LIMIT_PER_MINUTE). The limiter still runs on every request.
        RAMPART_RATE_LIMIT_PER_MINUTE: '1000000000',
        ...secrets,
      },
    });
    cleanup.defer(`stop ${label}`, () => child.stop());
    const url = `http://127.0.0.1:${port}`;
    await waitUntilReady(child, `${url}/readyz`);
    return { url, child };
  };
  const first = await spawnGateway(database.dataDir, name);
  let peers = 0;
  return {
    name,
    ...first,
    appSecret: secrets.WHATSAPP_APP_SECRET,
    countStored: database.countStored,
    async startPeer() {
      if (database.url === undefined) throw new Error(`${name}: several gateways need PostgreSQL (each SQLite gateway has its own file)`);
      peers += 1;
      // The first gateway created the keyring; every gateway on this database needs a copy of it.
      const dataDir = mkdtempSync(path.join(tmpdir(), 'rampart-bench-peer-'));
      cleanup.defer('remove the peer data dir', () => rmSync(dataDir, { recursive: true, force: true }));
      copyFileSync(path.join(database.dataDir, 'keyring.json'), path.join(dataDir, 'keyring.json'));
      return spawnGateway(dataDir, `${name} peer ${peers}`);
    },
  };
}

interface PreparedDatabase {
  /** A fresh RAMPART_DATA_DIR (the keyring lives there, and the SQLite file when that is the store). */
  dataDir: string;
  /** RAMPART_DATABASE_URL; undefined means the SQLite default inside the data dir. */
  url: string | undefined;
  countStored(): Promise<StoredCounts>;
}

async function prepareDatabase(
  name: Exclude<TargetName, 'baseline'>,
  settings: BenchSettings,
  cleanup: CleanupStack,
): Promise<PreparedDatabase> {
  if (name === 'rampart-sqlite') {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'rampart-bench-'));
    cleanup.defer('remove the data dir', () => rmSync(dataDir, { recursive: true, force: true }));
    const file = path.join(dataDir, 'rampart.sqlite');
    return { dataDir, url: undefined, countStored: async () => countSqlite(file) };
  }
  if (settings.postgresUrl === null) throw new Error('rampart-postgres needs RAMPART_BENCH_POSTGRES_URL or RAMPART_TEST_POSTGRES_URL');
  // A fresh schema selected through search_path, dropped afterwards.
  const database = await createPostgresDatabase(settings.postgresUrl);
  cleanup.defer('drop the PostgreSQL schema', () => database.drop());
  cleanup.defer('remove the data dir', () => rmSync(database.dataDir, { recursive: true, force: true }));
  const url = database.url!;
  return { dataDir: database.dataDir, url, countStored: () => countPostgres(url) };
}

function countSqlite(file: string): StoredCounts {
  // Read-only, beside the running gateway: WAL lets a reader see every committed transaction.
  const connection = new SqliteDatabase(file, { readonly: true, fileMustExist: true });
  try {
    const count = (table: 'messages' | 'contacts') =>
      (connection.prepare(`select count(*) as count from ${table}`).get() as { count: number }).count;
    return { messages: count('messages'), contacts: count('contacts') };
  } finally {
    connection.close();
  }
}

async function countPostgres(url: string): Promise<StoredCounts> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const result = await client.query<{ messages: number; contacts: number }>(
      'select (select count(*) from messages)::int as messages, (select count(*) from contacts)::int as contacts',
    );
    return result.rows[0]!;
  } finally {
    await client.end();
  }
}

function cpuProfileArgs(name: TargetName, settings: BenchSettings): string[] {
  if (settings.cpuProfileDir === null) return [];
  const directory = path.resolve(settings.cpuProfileDir, name);
  mkdirSync(directory, { recursive: true });
  return ['--cpu-prof', `--cpu-prof-dir=${directory}`];
}
