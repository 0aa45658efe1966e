import { Migrator } from 'kysely';
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
  });
  const result: MigrationResultSet = await migrator.migrateToLatest();
  if (result.error) {
    const failed = result.results?.find((item) => item.status === 'Error')?.migrationName;
    const message = failed ? `Migration ${failed} failed; the schema is unchanged.` : 'The database could not be reached to check its schema.';
    throw new AppError('STORE_UNAVAILABLE', message, { cause: result.error });
  }
  return { applied: (result.results ?? []).filter((item) => item.status === 'Success').map((item) => item.migrationName) };
}
