import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';

export interface TestDatabase {
  name: 'sqlite' | 'postgres';
  /** RAMPART_DATABASE_URL for this database (undefined = the SQLite default in the data dir). */
  url: string | undefined;
  dataDir: string;
  drop(): Promise<void>;
}

export const postgresUrl = process.env.RAMPART_TEST_POSTGRES_URL;
export const missingPostgresMessage = 'skipped: RAMPART_TEST_POSTGRES_URL is not set (CI sets it; e.g. postgres://postgres@127.0.0.1:5432/test)';

export function makeDataDir(prefix = 'rampart-test-'): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

/** A fresh SQLite data dir. */
export async function createSqliteDatabase(): Promise<TestDatabase> {
  const dataDir = makeDataDir();
  return { name: 'sqlite', url: undefined, dataDir, drop: async () => rmSync(dataDir, { recursive: true, force: true }) };
}

/**
 * A fresh PostgreSQL schema in the test database, selected through the connection's search_path,
 * so parallel test files never see each other's tables.
 */
export async function createPostgresDatabase(baseUrl: string): Promise<TestDatabase> {
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  await admin.end();
  const url = new URL(baseUrl);
  url.searchParams.set('options', `-c search_path=${schema}`);
  const dataDir = makeDataDir();
  return {
    name: 'postgres',
    url: url.toString(),
    dataDir,
    drop: async () => {
      rmSync(dataDir, { recursive: true, force: true });
      const client = new pg.Client({ connectionString: baseUrl });
      await client.connect();
      await client.query(`drop schema if exists ${schema} cascade`);
      await client.end();
    },
  };
}

/** The dialects a storage test runs against: SQLite always, PostgreSQL when configured. */
export const dialects: { name: 'sqlite' | 'postgres'; isAvailable: boolean; create(): Promise<TestDatabase> }[] = [
  { name: 'sqlite', isAvailable: true, create: createSqliteDatabase },
  { name: 'postgres', isAvailable: postgresUrl !== undefined, create: () => createPostgresDatabase(postgresUrl!) },
];
