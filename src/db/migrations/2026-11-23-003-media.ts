import { PostgresAdapter } from 'kysely';
import type { Kysely } from 'kysely';

// Frozen: this migration must keep doing exactly what it did when it shipped.

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

export async function up(db: AnyDb): Promise<void> {
  const binary = db.getExecutor().adapter instanceof PostgresAdapter ? 'bytea' : 'blob';
  await db.schema
    .createTable('media_objects')
    .addColumn('id', 'text', (column) => column.primaryKey())
    .addColumn('message_id', 'text', (column) => column.notNull().unique().references('messages.id'))
    .addColumn('contact_id', 'text', (column) => column.notNull().references('contacts.id'))
    .addColumn('state', 'text', (column) => column.notNull())
    .addColumn('mime_type', 'text')
    .addColumn('byte_size', 'bigint')
    .addColumn('content_enc', binary)
    .addColumn('failure_reason', 'text')
    .addColumn('created_at', 'bigint', (column) => column.notNull())
    .addColumn('updated_at', 'bigint', (column) => column.notNull())
    .execute();
  await db.schema.createIndex('media_objects_contact').on('media_objects').column('contact_id').execute();
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.dropTable('media_objects').ifExists().execute();
}
