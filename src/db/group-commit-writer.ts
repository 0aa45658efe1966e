import type { Transaction } from 'kysely';
import { AppError, isAppError } from '../errors.js';
import { isDatabaseUnreachable, isTransientConflict } from './database-errors.js';
import type { DatabaseSchema } from './database-schema.js';
import type { Db } from './database.js';

export type Trx = Transaction<DatabaseSchema>;

export interface GroupCommitWriterOptions<TItem, TResult> {
  db: Db;
  /** Weight (e.g. events) committed together at most; a heavier single item still commits alone. */
  maxBatch: number;
  /** Weight waiting or committing at most; beyond it `submit` refuses with OVERLOADED (the caller answers 503). */
  maxQueue: number;
  /** How much an item counts against maxBatch and maxQueue (default 1). */
  weightOf?(item: TItem): number;
  /** Batches committing at once (1 for SQLite, which has one writer anyway). */
  maxConcurrentBatches: number;
  /** Writes a batch inside one transaction; returns one result per item, in order. */
  applyBatch(trx: Trx, items: readonly TItem[]): Promise<TResult[]>;
  /** Told about every failed commit (for logs and metrics). */
  onCommitError?(error: unknown, batchSize: number): void;
}

export interface GroupCommitWriter<TItem, TResult> {
  /** Resolves after the transaction holding the item has committed; rejects if it did not. */
  submit(item: TItem): Promise<TResult>;
  /** Weight queued or committing. */
  queueDepth(): number;
  /** When the latest commit failed, if none has succeeded since (a full disk, a lost database); else null. */
  lastFailedAt(): number | null;
  /** Refuses new items and resolves once everything submitted has settled. */
  close(): Promise<void>;
}

interface Pending<TItem, TResult> {
  item: TItem;
  weight: number;
  resolve(result: TResult): void;
  reject(error: unknown): void;
}

/**
 * Group commit: requests that arrive while a transaction is committing wait and then commit
 * together, so one durable fsync serves many webhooks. Nobody is answered before their batch
 * commits, and a failed commit fails every request in it: nothing is acknowledged that is not stored.
 */
export function createGroupCommitWriter<TItem, TResult>(
  options: GroupCommitWriterOptions<TItem, TResult>,
): GroupCommitWriter<TItem, TResult> {
  const queue: Pending<TItem, TResult>[] = [];
  let batchesRunning = 0;
  /** Weight queued or committing: what the process holds in memory and has not yet answered. */
  let pendingWeight = 0;
  let isClosed = false;
  let idleWaiters: (() => void)[] = [];
  let lastFailureAt: number | null = null;

  function submit(item: TItem): Promise<TResult> {
    if (isClosed) return Promise.reject(new AppError('OVERLOADED', 'Rampart is shutting down; retry shortly.'));
    const weight = Math.max(1, options.weightOf?.(item) ?? 1);
    // An item heavier than the whole queue is still taken when nothing else waits, or it could never be stored.
    if (pendingWeight > 0 && pendingWeight + weight > options.maxQueue) {
      return Promise.reject(new AppError('OVERLOADED', 'Too many events are waiting to be stored; retry shortly.'));
    }
    pendingWeight += weight;
    return new Promise<TResult>((resolve, reject) => {
      queue.push({ item, weight, resolve, reject });
      // Waiting one turn of the event loop lets requests that arrived together share the batch.
      if (batchesRunning < options.maxConcurrentBatches) setImmediate(startBatches);
    });
  }

  function startBatches(): void {
    while (queue.length > 0 && batchesRunning < options.maxConcurrentBatches) {
      const batch = takeBatch();
      batchesRunning += 1;
      void commitBatch(batch).finally(() => {
        batchesRunning -= 1;
        // On the next turn, not now: better-sqlite3 commits synchronously, so back-to-back batches
        // would otherwise hold the event loop (timers, sockets, the load-shedding check) for as
        // long as callers keep submitting.
        if (queue.length > 0) setImmediate(startBatches);
        else if (batchesRunning === 0) notifyIdle();
      });
    }
  }

  function takeBatch(): Pending<TItem, TResult>[] {
    let weight = 0;
    let count = 0;
    while (count < queue.length && (count === 0 || weight + queue[count]!.weight <= options.maxBatch)) {
      weight += queue[count]!.weight;
      count += 1;
    }
    return queue.splice(0, count);
  }

  async function commitBatch(batch: Pending<TItem, TResult>[]): Promise<void> {
    let error = await tryCommit(batch);
    // A deadlock or serialization failure (concurrent batches on PostgreSQL): the same batch usually goes through.
    for (let attempt = 1; error !== null && isTransientConflict(error) && attempt <= CONFLICT_RETRIES; attempt += 1) {
      await delay(Math.random() * 10 * attempt);
      error = await tryCommit(batch);
    }
    if (error === null) return;
    options.onCommitError?.(error, batch.length);
    if (batch.length === 1 || isDatabaseUnreachable(error)) {
      // Unreachable: trying item by item would only wait out the same connection timeout again.
      for (const pending of batch) settle(pending, () => pending.reject(toStoreError(error)));
      return;
    }
    // One by one, so one poisoned item cannot fail its neighbours.
    for (const pending of batch) await commitBatch([pending]);
  }

  /** Commits the batch and answers its items; returns the error instead when the commit failed. */
  async function tryCommit(batch: Pending<TItem, TResult>[]): Promise<unknown> {
    try {
      const results = await options.db.transaction().execute((trx) => options.applyBatch(trx, batch.map((pending) => pending.item)));
      lastFailureAt = null;
      batch.forEach((pending, index) => settle(pending, () => pending.resolve(results[index] as TResult)));
      return null;
    } catch (error) {
      lastFailureAt = Date.now();
      return error ?? new Error('commit failed');
    }
  }

  function settle(pending: Pending<TItem, TResult>, answer: () => void): void {
    pendingWeight -= pending.weight;
    answer();
  }

  function notifyIdle(): void {
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const waiter of waiters) waiter();
  }

  async function close(): Promise<void> {
    isClosed = true;
    if (queue.length === 0 && batchesRunning === 0) return;
    await new Promise<void>((resolve) => idleWaiters.push(resolve));
  }

  return { submit, queueDepth: () => pendingWeight, lastFailedAt: () => lastFailureAt, close };
}

const CONFLICT_RETRIES = 3;

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function toStoreError(error: unknown): AppError {
  if (isAppError(error) && error.code !== 'INTERNAL') return error;
  return new AppError('STORE_UNAVAILABLE', 'The event could not be stored; it was not acknowledged. Retry later.', { cause: error });
}
