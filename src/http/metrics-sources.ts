/**
 * What the gauges read at scrape time, each one cheap: the outbox's unfinished jobs (pending and
 * dead, through the (state, run_at) index; done jobs are never deleted, so counting them would
 * scan the whole table on every scrape and, on SQLite, block the event loop while it does), the
 * oldest due job, and the audit log's head and newest checkpoint (one row each).
 */
import type { AuditLog } from '../audit/audit-log.js';
import type { Db } from '../db/database.js';

export interface OutboxBacklog {
  readonly counts: readonly { kind: string; state: 'pending' | 'dead'; count: number }[];
  /** run_at of the oldest job that is due and not done; null when none is due. */
  readonly oldestDueAt: number | null;
}

export interface AuditGaugeState {
  readonly treeSize: number;
  readonly checkpoint: { readonly treeSize: number; readonly signedAt: number } | null;
}

export interface MetricsSources {
  writerQueueDepth(): number;
  readOutboxBacklog(now: number): Promise<OutboxBacklog>;
  readAuditState(): Promise<AuditGaugeState>;
}

// The outbox table belongs to src/db; its repository has no unfinished-only count yet, so the
// two read-only queries live here, beside their one caller.
export async function readOutboxBacklog(db: Db, now: number): Promise<OutboxBacklog> {
  const rows = await db
    .selectFrom('outbox_jobs')
    .select(['kind', 'state', (eb) => eb.fn.countAll<number | string>().as('count')])
    .where('state', 'in', ['pending', 'dead'])
    .groupBy(['kind', 'state'])
    .execute();
  const oldest = await db
    .selectFrom('outbox_jobs')
    .select((eb) => eb.fn.min('run_at').as('oldest'))
    .where('state', '=', 'pending')
    .where('run_at', '<=', now)
    .executeTakeFirst();
  return {
    counts: rows.map((row) => ({ kind: row.kind, state: row.state as 'pending' | 'dead', count: Number(row.count) })),
    oldestDueAt: oldest?.oldest === null || oldest?.oldest === undefined ? null : Number(oldest.oldest),
  };
}

export async function readAuditGaugeState(audit: Pick<AuditLog, 'readTreeHead' | 'readLatestCheckpoint'>): Promise<AuditGaugeState> {
  const [head, checkpoint] = await Promise.all([audit.readTreeHead(), audit.readLatestCheckpoint()]);
  return { treeSize: head.size, checkpoint: checkpoint ? { treeSize: checkpoint.treeSize, signedAt: checkpoint.createdAt } : null };
}

/** The sources of a gateway built by the composition root. */
export function createMetricsSources({ db, audit, writerQueueDepth }: { db: Db; audit: Pick<AuditLog, 'readTreeHead' | 'readLatestCheckpoint'>; writerQueueDepth(): number }): MetricsSources {
  return { writerQueueDepth, readOutboxBacklog: (now) => readOutboxBacklog(db, now), readAuditState: () => readAuditGaugeState(audit) };
}
