import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { createDatabase } from '../../src/db/database.js';
import type { Database } from '../../src/db/database.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import * as identityMigration from '../../src/db/migrations/2026-11-23-005-identity.js';
import { loadDatabaseConfig } from '../../src/config/load-config.js';
import { dialects, missingPostgresMessage } from '../support/databases.js';
import type { TestDatabase } from '../support/databases.js';
import { noteSkippedWhen } from '../support/skip-notice.js';

noteSkippedWhen(!dialects[1]!.isAvailable, 'identity migration on postgres', missingPostgresMessage);

const identityTables = ['users', 'user_roles', 'roles', 'sessions', 'setup_tokens', 'login_throttles', 'totp_credentials', 'recovery_codes', 'passkeys', 'webauthn_challenges'];

for (const dialect of dialects.filter((candidate) => candidate.isAvailable)) {
  describe(`identity migration (${dialect.name})`, () => {
    let testDatabase: TestDatabase;
    let database: Database;

    afterEach(async () => {
      await database.close();
      await testDatabase.drop();
    });

    it('creates the identity tables, and down removes exactly them', async () => {
      testDatabase = await dialect.create();
      database = createDatabase(loadDatabaseConfig({ env: { RAMPART_DATA_DIR: testDatabase.dataDir, ...(testDatabase.url ? { RAMPART_DATABASE_URL: testDatabase.url } : {}) } }));
      await migrateToLatest(database.db);
      // Queried rather than introspected: PostgreSQL introspection would also list other test schemas' tables.
      const exists = (table: string) => sql`select count(*) from ${sql.table(table)}`.execute(database.db).then(() => true, () => false);
      const existing = async (tables: string[]) => (await Promise.all(tables.map(async (table) => ((await exists(table)) ? table : null)))).filter((table) => table !== null);
      expect(await existing(identityTables)).toEqual(identityTables);
      await identityMigration.down(database.db);
      expect(await existing(identityTables)).toEqual([]);
      expect(await existing(['contacts', 'api_keys'])).toEqual(['contacts', 'api_keys']);
      await identityMigration.up(database.db);
      // A user's rows go with the user (sessions, factors), enforced by the database.
      await sql`insert into users (id, email, display_name, status, created_at, updated_at) values ('u1', 'a@example.com', 'A', 'active', 1, 1)`.execute(database.db);
      await sql`insert into user_roles (user_id, role_id) values ('u1', 'admin')`.execute(database.db);
      await sql`delete from users where id = 'u1'`.execute(database.db);
      expect(await database.db.selectFrom('user_roles').selectAll().execute()).toEqual([]);
    });
  });
}
