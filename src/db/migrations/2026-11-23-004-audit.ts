import { PostgresAdapter, sql } from 'kysely';
import type { Kysely } from 'kysely';

// Frozen once shipped: this migration must keep doing exactly what it did when it shipped.

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

export async function up(db: AnyDb): Promise<void> {
  const binary = db.getExecutor().adapter instanceof PostgresAdapter ? 'bytea' : 'blob';

  await db.schema
    .createTable('audit_entries')
    .addColumn('seq', 'bigint', (column) => column.primaryKey())
    .addColumn('entry_id', 'text', (column) => column.notNull().unique())
    .addColumn('occurred_at', 'bigint', (column) => column.notNull())
    .addColumn('actor_type', 'text', (column) => column.notNull())
    .addColumn('actor_id', 'text', (column) => column.notNull())
    .addColumn('actor_label', 'text')
    .addColumn('action', 'text', (column) => column.notNull())
    .addColumn('resource_type', 'text', (column) => column.notNull())
    .addColumn('resource_id', 'text', (column) => column.notNull())
    .addColumn('subject_contact_id', 'text')
    .addColumn('source_address', 'text')
    .addColumn('request_id', 'text')
    .addColumn('outcome', 'text', (column) => column.notNull())
    .addColumn('details', 'text', (column) => column.notNull())
    .addColumn('leaf_hash', binary, (column) => column.notNull())
    .execute();
  // "Who looked at this contact's data": the access report of a data-subject request.
  await db.schema.createIndex('audit_entries_subject').on('audit_entries').columns(['subject_contact_id', 'seq']).execute();

  await db.schema
    .createTable('audit_nodes')
    .addColumn('level', 'integer', (column) => column.notNull())
    .addColumn('node_index', 'bigint', (column) => column.notNull())
    .addColumn('hash', binary, (column) => column.notNull())
    .addPrimaryKeyConstraint('audit_nodes_pk', ['level', 'node_index'])
    .execute();

  await db.schema
    .createTable('audit_head')
    .addColumn('id', 'integer', (column) => column.primaryKey())
    .addColumn('size', 'bigint', (column) => column.notNull())
    .addColumn('frontier', binary, (column) => column.notNull())
    .addColumn('origin', 'text')
    .addColumn('verifier_key', 'text')
    .addColumn('updated_at', 'bigint', (column) => column.notNull())
    .addCheckConstraint('audit_head_single_row', sql`id = 1`)
    .execute();
  // The row exists from the start, so appends only ever lock it and never race to create it.
  await db.insertInto('audit_head').values({ id: 1, size: 0, frontier: Buffer.alloc(0), origin: null, verifier_key: null, updated_at: 0 }).execute();

  await db.schema
    .createTable('audit_checkpoints')
    .addColumn('tree_size', 'bigint', (column) => column.primaryKey())
    .addColumn('root_hash', binary, (column) => column.notNull())
    .addColumn('note', 'text', (column) => column.notNull())
    .addColumn('created_at', 'bigint', (column) => column.notNull())
    .execute();
}

export async function down(db: AnyDb): Promise<void> {
  for (const table of ['audit_checkpoints', 'audit_head', 'audit_nodes', 'audit_entries']) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
