import type { Kysely } from 'kysely';

// Frozen once shipped: this migration must keep doing exactly what it did when it shipped.

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

export async function up(_db: AnyDb): Promise<void> {
  // Filled in by the slice's work before it ships.
}

export async function down(_db: AnyDb): Promise<void> {}
