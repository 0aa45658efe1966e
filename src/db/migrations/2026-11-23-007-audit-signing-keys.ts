import { sql } from 'kysely';
import type { Kysely } from 'kysely';

// Frozen once shipped: this migration must keep doing exactly what it did when it shipped.

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

/** The purpose under which Rampart kept its one audit signing key before rotation existed. */
const FIRST_KEY_PURPOSE = 'audit-checkpoint-signing';

/**
 * Several checkpoint signing keys over the log's life. The private keys stay wrapped in
 * `key_material` (version 1 under its old purpose, later ones under `audit-checkpoint-signing-v<N>`);
 * this table says which versions exist, their verifier keys and when each was retired. Each
 * checkpoint row names the version that signed it.
 *
 * A deployment that already has its key gets it as version 1 here: the row's time and the verifier
 * key `audit_head` publishes are copied (bytes, no crypto); Rampart checks that verifier key against
 * the unwrapped key at its next start. Its checkpoints were all signed by that key.
 */
export async function up(db: AnyDb): Promise<void> {
  await db.schema
    .createTable('audit_signing_keys')
    .addColumn('version', 'integer', (column) => column.primaryKey())
    .addColumn('verifier_key', 'text')
    .addColumn('created_at', 'bigint', (column) => column.notNull())
    .addColumn('retired_at', 'bigint')
    .addColumn('retired_at_tree_size', 'bigint')
    .execute();
  // At most one current (unretired) key: every row where it holds has the same value, true.
  await sql`create unique index audit_signing_keys_one_current on audit_signing_keys ((retired_at is null)) where retired_at is null`.execute(db);

  await db.schema.alterTable('audit_checkpoints').addColumn('signing_key_version', 'integer').execute();

  const existing = await db.selectFrom('key_material').select('created_at').where('purpose', '=', FIRST_KEY_PURPOSE).executeTakeFirst();
  if (!existing) return;
  const head = await db.selectFrom('audit_head').select('verifier_key').where('id', '=', 1).executeTakeFirst();
  await db
    .insertInto('audit_signing_keys')
    .values({ version: 1, verifier_key: head?.verifier_key ?? null, created_at: existing.created_at, retired_at: null, retired_at_tree_size: null })
    .execute();
  await db.updateTable('audit_checkpoints').set({ signing_key_version: 1 }).execute();
}

/** Back to one key: the older code signs with version 1's key again (later versions stay in key_material, unused). */
export async function down(db: AnyDb): Promise<void> {
  await db.schema.alterTable('audit_checkpoints').dropColumn('signing_key_version').execute();
  await db.schema.dropTable('audit_signing_keys').ifExists().execute();
}
