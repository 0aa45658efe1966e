import { afterEach, describe, expect, it } from 'vitest';
import { dialects } from '../../test/support/databases.js';
import type { TestDatabase } from '../../test/support/databases.js';
import { loadDatabaseConfig } from '../config/load-config.js';
import { isAppError } from '../errors.js';
import { createDatabase } from './database.js';
import type { Database } from './database.js';
import { createGroupCommitWriter } from './group-commit-writer.js';
import type { Trx } from './group-commit-writer.js';
import { migrateToLatest } from './migrate.js';

interface Item {
  purpose: string;
  isPoisoned?: boolean;
}

async function insertItem(trx: Trx, item: Item): Promise<string> {
  await trx
    .insertInto('key_material')
    .values({ purpose: item.purpose, kek_provider: 'test', kek_id: 'k', kek_version: 1, wrapped_key: Buffer.from('x'), created_at: 0 })
    .execute();
  if (item.isPoisoned) throw new Error('poisoned item');
  return item.purpose;
}

async function insertAll(trx: Trx, items: readonly Item[]): Promise<string[]> {
  const results: string[] = [];
  for (const item of items) results.push(await insertItem(trx, item));
  return results;
}

for (const dialect of dialects) {
  describe.skipIf(!dialect.isAvailable)(`group-commit writer on ${dialect.name}`, () => {
    let testDatabase: TestDatabase | undefined;
    let database: Database | undefined;
    afterEach(async () => {
      await database?.close();
      await testDatabase?.drop();
    });

    async function open(): Promise<Database> {
      testDatabase = await dialect.create();
      database = createDatabase(
        loadDatabaseConfig({ env: { RAMPART_DATA_DIR: testDatabase.dataDir, ...(testDatabase.url ? { RAMPART_DATABASE_URL: testDatabase.url } : {}) } }),
      );
      await migrateToLatest(database.db);
      return database;
    }

    async function storedPurposes(db: Database): Promise<string[]> {
      const rows = await db.db.selectFrom('key_material').select('purpose').orderBy('purpose').execute();
      return rows.map((row) => row.purpose);
    }

    it('commits requests that arrive together in one transaction and answers each after it', async () => {
      const db = await open();
      const batchSizes: number[] = [];
      const writer = createGroupCommitWriter<Item, string>({
        db: db.db,
        maxBatch: 100,
        maxQueue: 1_000,
        maxConcurrentBatches: 1,
        applyBatch: (trx, items) => {
          batchSizes.push(items.length);
          return insertAll(trx, items);
        },
      });
      const purposes = Array.from({ length: 50 }, (_unused, index) => `p${String(index).padStart(2, '0')}`);
      const results = await Promise.all(purposes.map((purpose) => writer.submit({ purpose })));
      expect(results).toEqual(purposes);
      expect(batchSizes.length).toBeLessThan(purposes.length);
      expect(batchSizes.reduce((sum, size) => sum + size, 0)).toBe(purposes.length);
      expect(await storedPurposes(db)).toEqual(purposes);
      await writer.close();
    });

    it('lets timers run between batches while a caller submits one item after another', async () => {
      const db = await open();
      const writer = createGroupCommitWriter<Item, string>({ db: db.db, maxBatch: 100, maxQueue: 1_000, maxConcurrentBatches: 1, applyBatch: insertAll });
      let submittedWhenTimerRan: number | null = null;
      let submitted = 0;
      setTimeout(() => (submittedWhenTimerRan = submitted), 0);
      for (; submitted < 200; submitted += 1) await writer.submit({ purpose: `s${submitted}` });
      expect(submittedWhenTimerRan).not.toBeNull();
      expect(submittedWhenTimerRan!).toBeLessThan(200);
      await writer.close();
    });

    it('says since when commits fail, until one succeeds again', async () => {
      const db = await open();
      const writer = createGroupCommitWriter<Item, string>({ db: db.db, maxBatch: 100, maxQueue: 1_000, maxConcurrentBatches: 1, applyBatch: insertAll });
      expect(writer.lastFailedAt()).toBeNull();
      await expect(writer.submit({ purpose: 'bad', isPoisoned: true })).rejects.toThrow();
      expect(writer.lastFailedAt()).toEqual(expect.any(Number));
      await writer.submit({ purpose: 'good' });
      expect(writer.lastFailedAt()).toBeNull();
      await writer.close();
    });

    it('fails only the poisoned request of a batch and leaves nothing of it half-written', async () => {
      const db = await open();
      const writer = createGroupCommitWriter<Item, string>({
        db: db.db,
        maxBatch: 100,
        maxQueue: 1_000,
        maxConcurrentBatches: 1,
        applyBatch: insertAll,
      });
      const outcomes = await Promise.allSettled([
        writer.submit({ purpose: 'a' }),
        writer.submit({ purpose: 'poison', isPoisoned: true }),
        writer.submit({ purpose: 'b' }),
      ]);
      expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
      const failure = (outcomes[1] as PromiseRejectedResult).reason as unknown;
      expect(isAppError(failure) && failure.code).toBe('STORE_UNAVAILABLE');
      // The poisoned item inserted its row before throwing: the rollback must have removed it.
      expect(await storedPurposes(db)).toEqual(['a', 'b']);
      await writer.close();
    });

    it('refuses work beyond its queue (waiting and committing) with OVERLOADED instead of buffering without bound', async () => {
      const db = await open();
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const writer = createGroupCommitWriter<Item, string>({
        db: db.db,
        maxBatch: 1,
        // Counts what is committing too: one in flight plus two waiting.
        maxQueue: 3,
        maxConcurrentBatches: 1,
        applyBatch: async (trx, items) => {
          await gate;
          return [await insertItem(trx, items[0]!)];
        },
      });
      const first = writer.submit({ purpose: 'first' });
      await new Promise((resolve) => setImmediate(resolve));
      const queued = [writer.submit({ purpose: 'q1' }), writer.submit({ purpose: 'q2' })];
      await expect(writer.submit({ purpose: 'overflow' })).rejects.toMatchObject({ code: 'OVERLOADED' });
      release();
      await Promise.all([first, ...queued]);
      expect(await storedPurposes(db)).toEqual(['first', 'q1', 'q2']);
      await writer.close();
    });

    it('counts items by weight: a batch holds up to maxBatch weight, and a heavy item alone is still taken', async () => {
      const db = await open();
      const batchSizes: number[] = [];
      const writer = createGroupCommitWriter<Item & { weight: number }, string>({
        db: db.db,
        maxBatch: 10,
        maxQueue: 12,
        weightOf: (item) => item.weight,
        maxConcurrentBatches: 1,
        applyBatch: (trx, items) => {
          batchSizes.push(items.length);
          return insertAll(trx, items);
        },
      });
      // Heavier than the whole queue, but nothing else waits: taken (or Meta would retry it forever).
      await expect(writer.submit({ purpose: 'heavy', weight: 25 })).resolves.toBe('heavy');
      const light = ['l1', 'l2', 'l3'].map((purpose) => writer.submit({ purpose, weight: 4 }));
      await expect(writer.submit({ purpose: 'over', weight: 4 })).rejects.toMatchObject({ code: 'OVERLOADED' });
      await Promise.all(light);
      expect(batchSizes).toEqual([1, 2, 1]);
      await writer.close();
    });

    it('lets everything submitted commit before close resolves, and refuses new work after', async () => {
      const db = await open();
      const writer = createGroupCommitWriter<Item, string>({
        db: db.db,
        maxBatch: 10,
        maxQueue: 1_000,
        maxConcurrentBatches: 2,
        applyBatch: insertAll,
      });
      const pending = Array.from({ length: 25 }, (_unused, index) => writer.submit({ purpose: `c${String(index).padStart(2, '0')}` }));
      await writer.close();
      expect((await Promise.allSettled(pending)).every((outcome) => outcome.status === 'fulfilled')).toBe(true);
      expect(await storedPurposes(db)).toHaveLength(25);
      await expect(writer.submit({ purpose: 'late' })).rejects.toMatchObject({ code: 'OVERLOADED' });
    });
  });
}
