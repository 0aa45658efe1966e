import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { DatabaseSchema } from './database-schema.js';
import type { DialectName } from './database.js';
import type { OutboxJobTable } from './outbox.table.js';

type Executor = Kysely<DatabaseSchema>;
export type OutboxJob = OutboxJobTable;

/** Adds a job in the caller's transaction: it exists exactly when the row it is about exists. */
export async function enqueueJob(db: Executor, job: { kind: string; subjectId: string; runAt: number }): Promise<string> {
  const id = randomUUID();
  await db
    .insertInto('outbox_jobs')
    .values({
      id,
      kind: job.kind,
      subject_id: job.subjectId,
      state: 'pending',
      attempts: 0,
      run_at: job.runAt,
      lease_owner: null,
      lease_until: null,
      last_error: null,
      created_at: job.runAt,
      updated_at: job.runAt,
    })
    .execute();
  return id;
}

/**
 * Leases up to `limit` due jobs to `owner` until `leaseUntil`. On PostgreSQL, `FOR UPDATE SKIP
 * LOCKED` lets several processes claim at once without waiting for or taking each other's jobs;
 * SQLite has a single writer, so the update is atomic by itself.
 */
export async function claimDueJobs(
  db: Executor,
  dialect: DialectName,
  options: { owner: string; now: number; leaseUntil: number; limit: number; kinds: readonly string[] },
): Promise<OutboxJob[]> {
  if (options.limit <= 0 || options.kinds.length === 0) return [];
  return db
    .updateTable('outbox_jobs')
    .set({ lease_owner: options.owner, lease_until: options.leaseUntil, updated_at: options.now })
    .where('id', 'in', (eb) =>
      eb
        .selectFrom('outbox_jobs')
        .select('id')
        .where('state', '=', 'pending')
        .where('kind', 'in', [...options.kinds])
        .where('run_at', '<=', options.now)
        .where((inner) => inner.or([inner('lease_until', 'is', null), inner('lease_until', '<', options.now)]))
        .orderBy('run_at')
        .limit(options.limit)
        .$if(dialect === 'postgres', (query) => query.forUpdate().skipLocked()),
    )
    .returningAll()
    .execute();
}

/**
 * Extends the leases `owner` still holds on `ids` to `leaseUntil`, so a job that runs longer than its
 * lease (a slow Meta, an overloaded machine) is not claimed and run a second time meanwhile. A lease
 * already taken by another worker is not touched. Returns how many were extended.
 */
export async function renewLeases(db: Executor, options: { owner: string; ids: readonly string[]; now: number; leaseUntil: number }): Promise<number> {
  if (options.ids.length === 0) return 0;
  const result = await db
    .updateTable('outbox_jobs')
    .set({ lease_until: options.leaseUntil, updated_at: options.now })
    .where('id', 'in', [...options.ids])
    .where('lease_owner', '=', options.owner)
    .where('state', '=', 'pending')
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** Marks a leased job done; false when the lease was lost (another worker took it after it ran out). */
export async function completeJob(db: Executor, job: { id: string; owner: string; now: number }): Promise<boolean> {
  const result = await db
    .updateTable('outbox_jobs')
    .set({ state: 'done', lease_owner: null, lease_until: null, updated_at: job.now })
    .where('id', '=', job.id)
    .where('lease_owner', '=', job.owner)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** Gives a leased job back to run again at `runAt`; `countsAsAttempt` is false for waits that were not failures. */
export async function rescheduleJob(
  db: Executor,
  job: { id: string; owner: string; now: number; runAt: number; reason: string | null; countsAsAttempt: boolean },
): Promise<boolean> {
  const result = await db
    .updateTable('outbox_jobs')
    .set((eb) => ({
      run_at: job.runAt,
      lease_owner: null,
      lease_until: null,
      last_error: job.reason,
      attempts: job.countsAsAttempt ? eb('attempts', '+', 1) : eb.ref('attempts'),
      updated_at: job.now,
    }))
    .where('id', '=', job.id)
    .where('lease_owner', '=', job.owner)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** Stops retrying a job; it stays visible with its reason (`rampart outbox list --dead`). */
export async function killJob(db: Executor, job: { id: string; owner: string; now: number; reason: string }): Promise<boolean> {
  const result = await db
    .updateTable('outbox_jobs')
    .set((eb) => ({ state: 'dead', lease_owner: null, lease_until: null, last_error: job.reason, attempts: eb('attempts', '+', 1), updated_at: job.now }))
    .where('id', '=', job.id)
    .where('lease_owner', '=', job.owner)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export async function countJobs(db: Executor): Promise<Record<OutboxJob['state'], number>> {
  const rows = await db.selectFrom('outbox_jobs').select(['state', (eb) => eb.fn.countAll<number>().as('count')]).groupBy('state').execute();
  const counts = { pending: 0, done: 0, dead: 0 };
  for (const row of rows) counts[row.state] = Number(row.count);
  return counts;
}

export async function listDeadJobs(db: Executor, limit = 100): Promise<OutboxJob[]> {
  return db.selectFrom('outbox_jobs').selectAll().where('state', '=', 'dead').orderBy('updated_at', 'desc').limit(limit).execute();
}

/** Makes a dead job due again with a fresh attempt count; false when no dead job has that id. */
export async function requeueDeadJob(db: Executor, job: { id: string; now: number }): Promise<boolean> {
  const result = await db
    .updateTable('outbox_jobs')
    .set({ state: 'pending', attempts: 0, run_at: job.now, lease_owner: null, lease_until: null, updated_at: job.now })
    .where('id', '=', job.id)
    .where('state', '=', 'dead')
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}
