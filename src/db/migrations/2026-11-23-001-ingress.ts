import { PostgresAdapter } from 'kysely';
import type { CreateTableBuilder, Kysely } from 'kysely';

// Frozen: this migration must keep doing exactly what it did when it shipped.

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

function binaryType(db: AnyDb): 'bytea' | 'blob' {
  return db.getExecutor().adapter instanceof PostgresAdapter ? 'bytea' : 'blob';
}

/** A key wrapped by the KMS, with the key-encryption key that wrapped it. */
function addWrappedKeyColumns<T extends string>(table: CreateTableBuilder<T>, binary: 'bytea' | 'blob'): CreateTableBuilder<T> {
  return table
    .addColumn('kek_provider', 'text', (column) => column.notNull())
    .addColumn('kek_id', 'text', (column) => column.notNull())
    .addColumn('kek_version', 'integer', (column) => column.notNull())
    .addColumn('wrapped_key', binary, (column) => column.notNull())
    .addColumn('created_at', 'bigint', (column) => column.notNull());
}

export async function up(db: AnyDb): Promise<void> {
  const binary = binaryType(db);

  await db.schema
    .createTable('key_material')
    .addColumn('purpose', 'text', (column) => column.primaryKey())
    .$call((table) => addWrappedKeyColumns(table, binary))
    .execute();

  await db.schema
    .createTable('data_keys')
    .addColumn('id', 'text', (column) => column.primaryKey())
    .addColumn('owner', 'text', (column) => column.notNull().unique())
    .$call((table) => addWrappedKeyColumns(table, binary))
    .execute();

  await db.schema
    .createTable('contacts')
    .addColumn('id', 'text', (column) => column.primaryKey())
    .addColumn('lookup_index', binary, (column) => column.notNull().unique())
    .addColumn('data_key_id', 'text', (column) => column.notNull().references('data_keys.id'))
    .addColumn('wa_id_enc', binary, (column) => column.notNull())
    .addColumn('profile_enc', binary)
    .addColumn('profile_digest', binary)
    .addColumn('created_at', 'bigint', (column) => column.notNull())
    .addColumn('updated_at', 'bigint', (column) => column.notNull())
    .execute();

  await db.schema
    .createTable('messages')
    .addColumn('id', 'text', (column) => column.primaryKey())
    .addColumn('wamid_index', binary, (column) => column.notNull().unique())
    .addColumn('contact_id', 'text', (column) => column.notNull().references('contacts.id'))
    .addColumn('direction', 'text', (column) => column.notNull())
    .addColumn('phone_number_id', 'text', (column) => column.notNull())
    .addColumn('type', 'text', (column) => column.notNull())
    .addColumn('content_enc', binary, (column) => column.notNull())
    .addColumn('sent_at', 'bigint', (column) => column.notNull())
    .addColumn('received_at', 'bigint', (column) => column.notNull())
    .execute();
  await db.schema.createIndex('messages_contact_direction_sent').on('messages').columns(['contact_id', 'direction', 'sent_at']).execute();

  await db.schema
    .createTable('message_statuses')
    .addColumn('wamid_index', binary, (column) => column.primaryKey())
    .addColumn('contact_id', 'text', (column) => column.references('contacts.id'))
    .addColumn('status', 'text', (column) => column.notNull())
    .addColumn('status_rank', 'integer', (column) => column.notNull())
    .addColumn('status_at', 'bigint', (column) => column.notNull())
    .addColumn('updated_at', 'bigint', (column) => column.notNull())
    .execute();

  await db.schema
    .createTable('status_events')
    .addColumn('id', 'text', (column) => column.primaryKey())
    .addColumn('wamid_index', binary, (column) => column.notNull())
    .addColumn('status', 'text', (column) => column.notNull())
    .addColumn('contact_id', 'text', (column) => column.references('contacts.id'))
    .addColumn('status_at', 'bigint', (column) => column.notNull())
    .addColumn('details_enc', binary, (column) => column.notNull())
    .addColumn('received_at', 'bigint', (column) => column.notNull())
    .addUniqueConstraint('status_events_wamid_status', ['wamid_index', 'status'])
    .execute();

  await db.schema
    .createTable('account_events')
    .addColumn('id', 'text', (column) => column.primaryKey())
    .addColumn('dedupe_index', binary, (column) => column.notNull().unique())
    .addColumn('waba_id', 'text', (column) => column.notNull())
    .addColumn('field', 'text', (column) => column.notNull())
    .addColumn('contact_id', 'text', (column) => column.references('contacts.id'))
    .addColumn('value_enc', binary, (column) => column.notNull())
    .addColumn('received_at', 'bigint', (column) => column.notNull())
    .execute();
  await db.schema.createIndex('account_events_field').on('account_events').columns(['field', 'received_at']).execute();
}

export async function down(db: AnyDb): Promise<void> {
  for (const table of ['account_events', 'status_events', 'message_statuses', 'messages', 'contacts', 'data_keys', 'key_material']) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
