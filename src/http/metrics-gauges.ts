/**
 * Gauges read at scrape time: the writer's queue, the outbox's unfinished jobs and the oldest one's
 * wait, the audit log's size and its newest checkpoint. Gauges fed by the same source share one
 * read per scrape; a source that fails leaves its gauges out of that scrape and is counted.
 */
import { performance } from 'node:perf_hooks';
import type { FastifyBaseLogger } from 'fastify';
import { Counter, Gauge } from 'prom-client';
import type { Registry } from 'prom-client';
import type { Clock } from '../clock.js';
import { toJobKindLabel } from './metrics-labels.js';
import type { AuditGaugeState, MetricsSources, OutboxBacklog } from './metrics-sources.js';

/** Never share a read for longer than this, even when the registry is read without `beginScrape`. */
const SHARED_READ_MS = 1_000;

export function registerScrapeGauges({ registry, sources, clock, logger }: { registry: Registry; sources: MetricsSources; clock: Clock; logger: FastifyBaseLogger }) {
  const registers = [registry];
  const scrapes = { started: 0 };
  const readBacklog = shareWithinScrape(() => sources.readOutboxBacklog(clock.now()), scrapes);
  const readAudit = shareWithinScrape(() => sources.readAuditState(), scrapes);
  const collectErrors = new Counter({ name: 'rampart_metrics_collect_errors_total', help: 'Scrape-time reads that failed (their gauges are left out of that scrape).', labelNames: ['collector'] as const, registers });

  /** Empties the gauge, then fills it from `read`; a failed read leaves it empty and is counted. */
  async function refill<T, L extends string>(collector: string, gauge: Gauge<L>, read: () => Promise<T>, fill: (value: T) => void): Promise<void> {
    gauge.reset();
    try {
      fill(await read());
    } catch (error) {
      collectErrors.inc({ collector });
      logger.warn({ err: error, collector }, 'a metrics source could not be read');
    }
  }

  new Gauge({
    name: 'rampart_writer_queue_depth',
    help: 'Webhook events waiting or being stored by the group-commit writer.',
    registers,
    collect() {
      this.set(sources.writerQueueDepth());
    },
  });
  const outboxJobs: Gauge<'kind' | 'state'> = new Gauge({
    name: 'rampart_outbox_jobs',
    help: 'Unfinished outbox jobs by kind and state (pending: waiting or running; dead: given up, see `rampart outbox dead`). Done jobs are not counted.',
    labelNames: ['kind', 'state'] as const,
    registers,
    collect: () =>
      refill('outbox', outboxJobs, readBacklog, (backlog: OutboxBacklog) => {
        for (const { kind, state, count } of backlog.counts) outboxJobs.inc({ kind: toJobKindLabel(kind), state }, count);
      }),
  });
  const oldestDue: Gauge = new Gauge({
    name: 'rampart_outbox_oldest_due_seconds',
    help: 'How long the oldest due outbox job has been waiting (0 when none is due).',
    registers,
    collect: () =>
      refill('outbox', oldestDue, readBacklog, (backlog: OutboxBacklog) => {
        oldestDue.set(backlog.oldestDueAt === null ? 0 : Math.max(0, (clock.now() - backlog.oldestDueAt) / 1000));
      }),
  });
  const auditTreeSize: Gauge = new Gauge({
    name: 'rampart_audit_tree_size',
    help: 'Entries in the audit log.',
    registers,
    collect: () => refill('audit', auditTreeSize, readAudit, (state: AuditGaugeState) => auditTreeSize.set(state.treeSize)),
  });
  const checkpointSize: Gauge = new Gauge({
    name: 'rampart_audit_checkpoint_tree_size',
    help: 'Entries covered by the newest signed audit checkpoint (absent before the first).',
    registers,
    collect: () =>
      refill('audit', checkpointSize, readAudit, (state: AuditGaugeState) => {
        if (state.checkpoint) checkpointSize.set(state.checkpoint.treeSize);
      }),
  });
  const checkpointAge: Gauge = new Gauge({
    name: 'rampart_audit_checkpoint_age_seconds',
    help: 'Seconds since the newest audit checkpoint was signed (absent before the first). Signed every minute while the log grows.',
    registers,
    collect: () =>
      refill('audit', checkpointAge, readAudit, (state: AuditGaugeState) => {
        if (state.checkpoint) checkpointAge.set(Math.max(0, (clock.now() - state.checkpoint.signedAt) / 1000));
      }),
  });

  return {
    /** Call before reading the registry for a scrape: its gauges read their sources afresh. */
    beginScrape(): void {
      scrapes.started += 1;
    },
  };
}

/** Gauges of one scrape share one read (one query per scrape, not one per gauge); the next scrape reads again. */
function shareWithinScrape<T>(read: () => Promise<T>, scrapes: { readonly started: number }): () => Promise<T> {
  let last: { scrape: number; at: number; answer: Promise<T> } | null = null;
  return () => {
    // Real time, not the business clock: this bounds load, it says nothing about the data.
    const now = performance.now();
    if (!last || last.scrape !== scrapes.started || now - last.at >= SHARED_READ_MS) {
      const answer = read();
      last = { scrape: scrapes.started, at: now, answer };
      // A failed read is not shared beyond the scrape that saw it.
      answer.catch(() => {
        if (last?.answer === answer) last = null;
      });
    }
    return last.answer;
  };
}
