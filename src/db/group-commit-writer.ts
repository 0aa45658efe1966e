import type { Transaction } from 'kysely';
import { AppError, isAppError } from '../errors.js';
import type { DatabaseSchema } from './database-schema.js';
import type { Db } from './database.js';

export type Trx = Transaction<DatabaseSchema>;

export interface GroupCommitWriterOptions<TItem, TResult> {
  db: Db;
  /** Items committed together at most. */
  maxBatch: number;
  /** Items waiting at most; beyond it `submit` refuses with OVERLOADED (the caller answers 503). */
  maxQueue: number;
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
  queueDepth(): number;
  /** Refuses new items and resolves once everything submitted has settled. */
  close(): Promise<void>;
}

interface Pending<TItem, TResult> {
  item: TItem;
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
  let isClosed = false;
  let idleWaiters: (() => void)[] = [];

  function submit(item: TItem): Promise<TResult> {
    if (isClosed) return Promise.reject(new AppError('OVERLOADED', 'Rampart is shutting down; retry shortly.'));
    if (queue.length >= options.maxQueue) {
      return Promise.reject(new AppError('OVERLOADED', 'Too many events are waiting to be stored; retry shortly.'));
    }
    return new Promise<TResult>((resolve, reject) => {
      queue.push({ item, resolve, reject });
      // Waiting one turn of the event loop lets requests that arrived together share the batch.
      if (batchesRunning < options.maxConcurrentBatches) setImmediate(startBatches);
    });
  }

  function startBatches(): void {
    while (queue.length > 0 && batchesRunning < options.maxConcurrentBatches) {
      const batch = queue.splice(0, options.maxBatch);
      batchesRunning += 1;
      void commitBatch(batch).finally(() => {
        batchesRunning -= 1;
        if (queue.length > 0) startBatches();
        else if (batchesRunning === 0) notifyIdle();
      });
    }
  }

  async function commitBatch(batch: Pending<TItem, TResult>[], isRetry = false): Promise<void> {
    try {
      const results = await options.db.transaction().execute((trx) => options.applyBatch(trx, batch.map((pending) => pending.item)));
      batch.forEach((pending, index) => pending.resolve(results[index] as TResult));
    } catch (error) {
      options.onCommitError?.(error, batch.length);
      if (batch.length > 1) {
        // Commit one by one, so one poisoned item cannot fail its neighbours.
        for (const pending of batch) await commitBatch([pending], true);
      } else if (!isRetry) {
        // Once more: concurrent batches (PostgreSQL) can lose a race on a unique key and then succeed.
        await commitBatch(batch, true);
      } else {
        batch[0]!.reject(toStoreError(error));
      }
    }
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

  return { submit, queueDepth: () => queue.length, close };
}

function toStoreError(error: unknown): AppError {
  if (isAppError(error) && error.code !== 'INTERNAL') return error;
  return new AppError('STORE_UNAVAILABLE', 'The event could not be stored; it was not acknowledged. Retry later.', { cause: error });
}
