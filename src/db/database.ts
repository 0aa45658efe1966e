import { closeSync, mkdirSync, openSync } from 'node:fs';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, sql } from 'kysely';
import type { SqliteDialectConfig } from 'kysely';
import pg from 'pg';
import type { DatabaseConfig } from '../config/load-config.js';
import type { DatabaseSchema } from './database-schema.js';

export type Db = Kysely<DatabaseSchema>;
export type DialectName = 'sqlite' | 'postgres';

export interface Database {
  readonly db: Db;
  readonly dialect: DialectName;
  /** Resolves when the database answers a trivial query within the timeout. */
  ping(timeoutMs?: number): Promise<boolean>;
  close(): Promise<void>;
}

const INT8_OID = 20;

export function createDatabase(config: DatabaseConfig): Database {
  const { db, dialect } = config.kind === 'sqlite' ? openSqlite(config.path) : openPostgres(config.url.reveal());
  return {
    db,
    dialect,
    ping: (timeoutMs = 2_000) => pingDatabase(db, timeoutMs),
    close: () => db.destroy(),
  };
}

function openSqlite(file: string): { db: Db; dialect: DialectName } {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  // Owner-only from the first byte; SQLite gives its -wal and -shm files the same mode.
  closeSync(openSync(file, 'a', 0o600));
  const connection = new SqliteDatabase(file);
  // auto_vacuum only takes effect before the first table exists; incremental lets purges give space back.
  connection.pragma('auto_vacuum = INCREMENTAL');
  connection.pragma('journal_mode = WAL');
  // FULL: a commit is on disk (WAL fsynced) before we answer 200.
  connection.pragma('synchronous = FULL');
  // Deleted rows are overwritten, not left readable in free pages.
  connection.pragma('secure_delete = ON');
  connection.pragma('foreign_keys = ON');
  connection.pragma('busy_timeout = 5000');
  return { db: new Kysely<DatabaseSchema>({ dialect: new SqliteDialect({ database: withStatementCache(connection) }) }), dialect: 'sqlite' };
}

const STATEMENT_CACHE_SIZE = 500;

/**
 * Kysely prepares every query afresh; the ingress runs the same few statements all day. Prepared
 * statements are reusable in better-sqlite3, so keep the recent ones by SQL text.
 */
function withStatementCache(connection: SqliteDatabase.Database): SqliteDialectConfig['database'] {
  const statements = new Map<string, SqliteDatabase.Statement>();
  return {
    close: () => connection.close(),
    prepare: (sqlText: string) => {
      let statement = statements.get(sqlText);
      if (!statement) {
        if (statements.size >= STATEMENT_CACHE_SIZE) statements.clear();
        statement = connection.prepare(sqlText);
        statements.set(sqlText, statement);
      }
      return statement;
    },
  };
}

function openPostgres(url: string): { db: Db; dialect: DialectName } {
  const pool = new pg.Pool({
    connectionString: url,
    max: 10,
    connectionTimeoutMillis: 5_000,
    // A black-holed connection must fail the request (Meta retries), not hold it and the pool forever.
    statement_timeout: 15_000,
    query_timeout: 20_000,
    idle_in_transaction_session_timeout: 30_000,
    keepAlive: true,
    // Timestamps are bigint milliseconds; they fit a JS number, so read them as one.
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === INT8_OID && format !== 'binary'
          ? (value: string) => Number(value)
          : pg.types.getTypeParser(oid, format ?? 'text')) as typeof pg.types.getTypeParser,
    },
  });
  // An idle client losing its connection (a database restart) must not crash the process.
  pool.on('error', () => undefined);
  // The pool listens for errors only on idle clients. One checked out (mid-transaction, between
  // two statements) that loses its connection would emit an unhandled 'error' and kill the
  // process; its queries still fail with the error, and the pool drops it on release.
  pool.on('connect', (client) => client.on('error', () => undefined));
  return { db: new Kysely<DatabaseSchema>({ dialect: new PostgresDialect({ pool }) }), dialect: 'postgres' };
}

async function pingDatabase(db: Db, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  try {
    return await Promise.race([sql`select 1`.execute(db).then(() => true, () => false), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
