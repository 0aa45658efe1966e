import type { Command } from 'commander';
import { loadDatabaseConfig } from '../config/load-config.js';
import { createDatabase } from '../db/database.js';
import { migrateToLatest } from '../db/migrate.js';
import { exitWithError } from './fail.js';

export function registerMigrateCommand(program: Command): void {
  program
    .command('migrate')
    .description('bring the database schema to the latest version (`start` does this too)')
    .action(async () => {
      try {
        const database = createDatabase(loadDatabaseConfig());
        try {
          const { applied } = await migrateToLatest(database.db);
          process.stdout.write(applied.length === 0 ? 'schema is up to date\n' : `applied: ${applied.join(', ')}\n`);
        } finally {
          await database.close();
        }
      } catch (error) {
        exitWithError(error);
      }
    });
}
