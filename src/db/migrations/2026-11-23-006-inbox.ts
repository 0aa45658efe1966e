import type { Kysely } from 'kysely';

// Frozen once shipped: this migration must keep doing exactly what it did when it shipped.

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

/**
 * The dashboard's inbox: who answers each conversation, and which user wrote a reply. The list and
 * thread queries use indexes that exist already (messages by contact, direction and time;
 * outbound_messages by contact and time; consent_events by contact and purpose); assignments are
 * found by user for the "mine" view.
 */
export async function up(db: AnyDb): Promise<void> {
  await db.schema
    .createTable('conversation_assignments')
    .addColumn('contact_id', 'text', (column) => column.primaryKey().references('contacts.id').onDelete('cascade'))
    // User ids without foreign keys: users are disabled, not deleted, and the identity migration's
    // down must still be able to drop `users` (PostgreSQL refuses while a foreign key points at it).
    .addColumn('assigned_user_id', 'text', (column) => column.notNull())
    .addColumn('assigned_at', 'bigint', (column) => column.notNull())
    .addColumn('assigned_by', 'text', (column) => column.notNull())
    .execute();
  await db.schema.createIndex('conversation_assignments_user').on('conversation_assignments').column('assigned_user_id').execute();

  // Like api_key_id beside it: an id without a foreign key, null for services and Rampart's own messages.
  await db.schema.alterTable('outbound_messages').addColumn('sent_by_user_id', 'text').execute();
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.alterTable('outbound_messages').dropColumn('sent_by_user_id').execute();
  await db.schema.dropTable('conversation_assignments').ifExists().execute();
}
