import { randomUUID } from 'node:crypto';
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import type { Database } from './database.js';
import type { Trx } from './group-commit-writer.js';
import { createGroupCommitWriter } from './group-commit-writer.js';
import { claimDueJobs, completeJob, killJob, renewLeases, rescheduleJob } from './outbox-repository.js';
import type { OutboxJob } from './outbox-repository.js';

/** What became of one run of a job; `apply` writes its effects in the same transaction as the job's new state. */
export type JobOutcome =
  | { kind: 'done'; apply?: (trx: Trx) => Promise<void> }
  | { kind: 'retry'; runAt: number; reason: string; countsAsAttempt: boolean; apply?: (trx: Trx) => Promise<void> }
  | { kind: 'dead'; reason: string; apply?: (trx: Trx) => Promise<void> };

export interface JobHandler {
  kind: string;
  /** Runs a leased job. Throwing counts as a failed attempt, retried with backoff. */
  run(job: OutboxJob): Promise<JobOutcome>;
}

export interface OutboxWorkerOptions {
  database: Database;
  handlers: readonly JobHandler[];
  clock: Clock;
  logger: Logger;
  /** Jobs running at once in this process. */
  concurrency?: number;
  /** How long a claimed job is ours; a crashed worker's jobs become due again after it. */
  leaseMs?: number;
  /** How often to look for due jobs when nobody woke us (other processes' jobs, retries). */
  pollMs?: number;
}

export interface OutboxWorker {
  start(): void;
  /** Look for due jobs now (called after enqueueing). */
  wake(): void;
  /** Stops claiming and waits for running jobs to record their outcome. */
  stop(): Promise<void>;
  inFlight(): number;
}

const UNEXPECTED_FAILURE_BACKOFF_MS = 30_000;

/**
 * Runs outbox jobs: claims due jobs in batches under a lease, runs them concurrently, and records
 * their outcomes through a group-commit writer (one transaction for many outcomes). A job is
 * at-least-once: if the process dies after the work but before the outcome commits, the lease
 * runs out and the job runs again. While a job runs, its lease is renewed every third of the lease,
 * so a slow job is not taken by another worker while it is still in progress.
 */
export function createOutboxWorker(options: OutboxWorkerOptions): OutboxWorker {
  const { database, clock, logger } = options;
  const owner = randomUUID();
  const concurrency = options.concurrency ?? 64;
  const leaseMs = options.leaseMs ?? 60_000;
  const pollMs = options.pollMs ?? 500;
  const handlers = new Map(options.handlers.map((handler) => [handler.kind, handler]));
  const kinds = [...handlers.keys()];
  let running = 0;
  const runningJobs = new Map<string, OutboxJob>();
  let isRunning = false;
  let renewTimer: NodeJS.Timeout | null = null;
  let loopDone: Promise<void> = Promise.resolve();
  let wakeUp: (() => void) | null = null;
  let isWoken = false;

  const outcomes = createGroupCommitWriter<{ job: OutboxJob; outcome: JobOutcome }, boolean>({
    db: database.db,
    maxBatch: 500,
    maxQueue: Number.MAX_SAFE_INTEGER,
    maxConcurrentBatches: database.dialect === 'sqlite' ? 1 : 2,
    applyBatch: async (trx, items) => {
      const results: boolean[] = [];
      for (const { job, outcome } of items) results.push(await recordOutcome(trx, job, outcome));
      return results;
    },
    onCommitError: (error, batchSize) => logger.warn({ err: error, batchSize }, 'outbox outcomes failed to commit; the jobs run again when their lease ends'),
  });

  async function recordOutcome(trx: Trx, job: OutboxJob, outcome: JobOutcome): Promise<boolean> {
    const now = clock.now();
    const isOurs =
      outcome.kind === 'done'
        ? await completeJob(trx, { id: job.id, owner, now })
        : outcome.kind === 'retry'
          ? await rescheduleJob(trx, { id: job.id, owner, now, runAt: outcome.runAt, reason: outcome.reason, countsAsAttempt: outcome.countsAsAttempt })
          : await killJob(trx, { id: job.id, owner, now, reason: outcome.reason });
    // A lost lease means another worker has the job now; its outcome is the one that counts.
    if (isOurs) await outcome.apply?.(trx);
    else logger.warn({ jobId: job.id, kind: job.kind }, 'outbox job lease was lost before its outcome was recorded');
    return isOurs;
  }

  async function loop(): Promise<void> {
    while (isRunning) {
      const free = concurrency - running;
      // Claiming is a write: wait for a useful batch of free slots unless we are idle.
      if (free > 0 && (running === 0 || free >= Math.max(1, Math.floor(concurrency / 4)))) {
        let jobs: OutboxJob[] = [];
        try {
          const now = clock.now();
          jobs = await claimDueJobs(database.db, database.dialect, { owner, now, leaseUntil: now + leaseMs, limit: free, kinds });
        } catch (error) {
          logger.warn({ err: error }, 'could not claim outbox jobs; trying again shortly');
        }
        for (const job of jobs) dispatch(job);
        if (jobs.length === free && isRunning) continue;
      }
      await waitForWake();
    }
  }

  /** A third of the lease: two renewals can fail (a database hiccup) before another worker may take the job. */
  async function renewInFlightLeases(): Promise<void> {
    const ids = [...runningJobs.keys()];
    if (ids.length === 0) return;
    try {
      const now = clock.now();
      // At most 500 ids per statement; a worker runs `concurrency` jobs at once, 64 by default.
      for (let start = 0; start < ids.length; start += 500) {
        await renewLeases(database.db, { owner, ids: ids.slice(start, start + 500), now, leaseUntil: now + leaseMs });
      }
    } catch (error) {
      logger.warn({ err: error }, 'could not renew outbox leases; a job that outlives its lease may run twice');
    }
  }

  function dispatch(job: OutboxJob): void {
    running += 1;
    runningJobs.set(job.id, job);
    const handler = handlers.get(job.kind)!;
    void handler
      .run(job)
      .catch((error: unknown): JobOutcome => {
        logger.error({ err: error, jobId: job.id, kind: job.kind }, 'outbox job failed unexpectedly; it will be retried');
        return { kind: 'retry', runAt: clock.now() + UNEXPECTED_FAILURE_BACKOFF_MS, reason: 'unexpected error (see logs)', countsAsAttempt: true };
      })
      .then((outcome) => outcomes.submit({ job, outcome }))
      .catch(() => undefined)
      .finally(() => {
        running -= 1;
        runningJobs.delete(job.id);
        wake();
      });
  }

  function waitForWake(): Promise<void> {
    if (isWoken) {
      isWoken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(finish, pollMs);
      function finish() {
        clearTimeout(timer);
        wakeUp = null;
        isWoken = false;
        resolve();
      }
      wakeUp = finish;
    });
  }

  function wake(): void {
    if (wakeUp) wakeUp();
    else isWoken = true;
  }

  return {
    start() {
      if (isRunning) return;
      isRunning = true;
      loopDone = loop();
      renewTimer = setInterval(() => void renewInFlightLeases(), Math.max(1, Math.floor(leaseMs / 3)));
      renewTimer.unref();
    },
    wake,
    async stop() {
      isRunning = false;
      wake();
      await loopDone;
      // Leases keep being renewed while the last jobs finish.
      while (running > 0) await new Promise((resolve) => setTimeout(resolve, 10));
      if (renewTimer) clearInterval(renewTimer);
      renewTimer = null;
      await outcomes.close();
    },
    inFlight: () => running,
  };
}
