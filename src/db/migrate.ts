import { Migrator, PostgresAdapter, sql } from 'kysely';
import type { Kysely, MigrationResultSet } from 'kysely';
import { AppError } from '../errors.js';
import { migrations } from './migrations/index.js';

export interface MigrationReport {
  applied: string[];
}

/** Brings the schema to the latest version; safe to run from several processes at once (Kysely takes a lock). */
export async function migrateToLatest<T>(db: Kysely<T>): Promise<MigrationReport> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
    // Kysely looks for its bookkeeping tables in any schema unless told which: another application's
    // (or another Rampart's) kysely_migration table elsewhere in the database would be taken for ours.
    ...(db.getExecutor().adapter instanceof PostgresAdapter ? { migrationTableSchema: await currentSchemaOf(db) } : {}),
  });
  let result: MigrationResultSet = await migrator.migrateToLatest();
  // Kysely lists the tables of every schema it can see; a schema dropped by someone else at that
  // moment (another tenant, a test) fails the listing, not our migration. Listing again succeeds.
  for (let attempt = 1; result.error && isVanishedSchema(result.error) && attempt <= 3; attempt += 1) {
    await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
    result = await migrator.migrateToLatest();
  }
  if (result.error) {
    const failed = result.results?.find((item) => item.status === 'Error')?.migrationName;
    const message = failed ? `Migration ${failed} failed; the schema is unchanged.` : 'The database could not be reached to check its schema.';
    throw new AppError('STORE_UNAVAILABLE', message, { cause: result.error });
  }
  return { applied: (result.results ?? []).filter((item) => item.status === 'Success').map((item) => item.migrationName) };
}

async function currentSchemaOf<T>(db: Kysely<T>): Promise<string> {
  const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(db).catch((error: unknown) => {
    throw new AppError('STORE_UNAVAILABLE', 'The database could not be reached to check its schema.', { cause: error });
  });
  const schema = rows[0]?.schema;
  if (!schema) throw new AppError('STORE_UNAVAILABLE', 'PostgreSQL has no current schema: check the search_path of the database user.');
  return schema;
}

function isVanishedSchema(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '3F000' || code === '42P01' || /schema "[^"]*" does not exist/.test(error instanceof Error ? error.message : '');
}
