import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { loadDatabaseConfig } from '../../src/config/load-config.js';
import { createDatabase } from '../../src/db/database.js';
import type { Database } from '../../src/db/database.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import * as identityMigration from '../../src/db/migrations/2026-11-23-005-identity.js';
import * as inboxMigration from '../../src/db/migrations/2026-11-23-006-inbox.js';
import { dialects, missingPostgresMessage } from '../support/databases.js';
import type { TestDatabase } from '../support/databases.js';
import { noteSkippedWhen } from '../support/skip-notice.js';

noteSkippedWhen(!dialects[1]!.isAvailable, 'inbox migration on postgres', missingPostgresMessage);

for (const dialect of dialects.filter((candidate) => candidate.isAvailable)) {
  describe(`inbox migration (${dialect.name})`, () => {
    let testDatabase: TestDatabase;
    let database: Database;

    afterEach(async () => {
      await database.close();
      await testDatabase.drop();
    });

    // Queried rather than introspected: PostgreSQL introspection would also list other test schemas' tables.
    const works = (query: ReturnType<typeof sql>) => query.execute(database.db).then(() => true, () => false);

    it('adds the assignments table and the reply author column; down removes exactly them; earlier downs still work', async () => {
      testDatabase = await dialect.create();
      database = createDatabase(loadDatabaseConfig({ env: { RAMPART_DATA_DIR: testDatabase.dataDir, ...(testDatabase.url ? { RAMPART_DATABASE_URL: testDatabase.url } : {}) } }));
      await migrateToLatest(database.db);
      expect(await works(sql`select contact_id, assigned_user_id, assigned_at, assigned_by from conversation_assignments`)).toBe(true);
      expect(await works(sql`select sent_by_user_id, api_key_id from outbound_messages`)).toBe(true);

      // A contact's assignment goes with the contact (erasure), enforced by the database.
      await sql`insert into data_keys (id, owner, kek_provider, kek_id, kek_version, wrapped_key, created_at) values ('k1', 'contact:c1', 'local', 'kek', 1, ${Buffer.from('x')}, 1)`.execute(database.db);
      await sql`insert into contacts (id, lookup_index, data_key_id, wa_id_enc, created_at, updated_at) values ('c1', ${Buffer.from('l')}, 'k1', ${Buffer.from('w')}, 1, 1)`.execute(database.db);
      await sql`insert into conversation_assignments (contact_id, assigned_user_id, assigned_at, assigned_by) values ('c1', 'u1', 1, 'u2')`.execute(database.db);
      expect(await works(sql`insert into conversation_assignments (contact_id, assigned_user_id, assigned_at, assigned_by) values ('nobody', 'u1', 1, 'u2')`)).toBe(false);
      await sql`delete from contacts where id = 'c1'`.execute(database.db);
      expect(await database.db.selectFrom('conversation_assignments').selectAll().execute()).toEqual([]);

      // Users are not referenced by a foreign key, so the identity migration can still be undone.
      await identityMigration.down(database.db);
      await identityMigration.up(database.db);

      await inboxMigration.down(database.db);
      expect(await works(sql`select 1 from conversation_assignments`)).toBe(false);
      expect(await works(sql`select sent_by_user_id from outbound_messages`)).toBe(false);
      expect(await works(sql`select api_key_id from outbound_messages`)).toBe(true);
      await inboxMigration.up(database.db);
      expect(await works(sql`select sent_by_user_id from outbound_messages`)).toBe(true);
    });
  });
}
