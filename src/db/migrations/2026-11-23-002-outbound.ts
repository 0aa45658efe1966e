import { PostgresAdapter } from 'kysely';
import type { Kysely } from 'kysely';

// Frozen: this migration must keep doing exactly what it did when it shipped.

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

function binaryType(db: AnyDb): 'bytea' | 'blob' {
  return db.getExecutor().adapter instanceof PostgresAdapter ? 'bytea' : 'blob';
}

export async function up(db: AnyDb): Promise<void> {
  const binary = binaryType(db);

  await db.schema
    .createTable('api_keys')
    .addColumn('id', 'text', (column) => column.primaryKey())
    .addColumn('name', 'text', (column) => column.notNull())
    .addColumn('display_prefix', 'text', (column) => column.notNull())
    .addColumn('secret_hash', binary, (column) => column.notNull().unique())
    .addColumn('scopes', 'text', (column) => column.notNull())
    .addColumn('created_at', 'bigint', (column) => column.notNull())
    .addColumn('last_used_at', 'bigint')
    .addColumn('revoked_at', 'bigint')
    .execute();

  await db.schema
    .createTable('outbound_messages')
    .addColumn('id', 'text', (column) => column.primaryKey())
    .addColumn('contact_id', 'text', (column) => column.notNull().references('contacts.id'))
    .addColumn('phone_number_id', 'text', (column) => column.notNull())
    .addColumn('type', 'text', (column) => column.notNull())
    .addColumn('template_name', 'text')
    .addColumn('content_enc', binary, (column) => column.notNull())
    .addColumn('state', 'text', (column) => column.notNull())
    .addColumn('wamid_index', binary, (column) => column.unique())
    .addColumn('wamid_enc', binary)
    .addColumn('error_code', 'integer')
    .addColumn('error_reason', 'text')
    .addColumn('api_key_id', 'text')
    .addColumn('created_at', 'bigint', (column) => column.notNull())
    .addColumn('sent_at', 'bigint')
    .addColumn('updated_at', 'bigint', (column) => column.notNull())
    .execute();
  await db.schema.createIndex('outbound_messages_contact_created').on('outbound_messages').columns(['contact_id', 'created_at']).execute();

  await db.schema
    .createTable('idempotency_keys')
    .addColumn('scope', 'text', (column) => column.notNull())
    .addColumn('key_hash', binary, (column) => column.notNull())
    .addColumn('request_digest', binary, (column) => column.notNull())
    .addColumn('resource_id', 'text', (column) => column.notNull())
    .addColumn('created_at', 'bigint', (column) => column.notNull())
    .addPrimaryKeyConstraint('idempotency_keys_pk', ['scope', 'key_hash'])
    .execute();

  await db.schema
    .createTable('outbox_jobs')
    .addColumn('id', 'text', (column) => column.primaryKey())
    .addColumn('kind', 'text', (column) => column.notNull())
    .addColumn('subject_id', 'text', (column) => column.notNull())
    .addColumn('state', 'text', (column) => column.notNull())
    .addColumn('attempts', 'integer', (column) => column.notNull())
    .addColumn('run_at', 'bigint', (column) => column.notNull())
    .addColumn('lease_owner', 'text')
    .addColumn('lease_until', 'bigint')
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'bigint', (column) => column.notNull())
    .addColumn('updated_at', 'bigint', (column) => column.notNull())
    .execute();
  await db.schema.createIndex('outbox_jobs_due').on('outbox_jobs').columns(['state', 'run_at']).execute();
  await db.schema.createIndex('outbox_jobs_subject').on('outbox_jobs').columns(['kind', 'subject_id']).execute();

  await db.schema
    .createTable('consent_events')
    .addColumn('id', 'text', (column) => column.primaryKey())
    .addColumn('contact_id', 'text', (column) => column.notNull().references('contacts.id'))
    .addColumn('purpose', 'text', (column) => column.notNull())
    .addColumn('action', 'text', (column) => column.notNull())
    .addColumn('source', 'text', (column) => column.notNull())
    .addColumn('notice_version', 'text')
    .addColumn('evidence_ref', 'text')
    .addColumn('occurred_at', 'bigint', (column) => column.notNull())
    .addColumn('recorded_at', 'bigint', (column) => column.notNull())
    .execute();
  await db.schema.createIndex('consent_events_contact_purpose').on('consent_events').columns(['contact_id', 'purpose', 'occurred_at']).execute();

  await db.schema
    .createTable('sender_pauses')
    .addColumn('phone_number_id', 'text', (column) => column.primaryKey())
    .addColumn('reason', 'text', (column) => column.notNull())
    .addColumn('error_code', 'integer')
    .addColumn('paused_until', 'bigint')
    .addColumn('created_at', 'bigint', (column) => column.notNull())
    .execute();
}

export async function down(db: AnyDb): Promise<void> {
  for (const table of ['sender_pauses', 'consent_events', 'outbox_jobs', 'idempotency_keys', 'outbound_messages', 'api_keys']) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
