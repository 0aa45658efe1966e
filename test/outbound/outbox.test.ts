import { afterEach, describe, expect, it } from 'vitest';
import { loadDatabaseConfig } from '../../src/config/load-config.js';
import { createDatabase } from '../../src/db/database.js';
import type { Database } from '../../src/db/database.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { claimDueJobs, completeJob, countJobs, enqueueJob, killJob, renewLeases, rescheduleJob } from '../../src/db/outbox-repository.js';
import { createOutboxWorker } from '../../src/db/outbox-worker.js';
import { systemClock } from '../../src/clock.js';
import { createLogger } from '../../src/logger.js';
import { dialects, missingPostgresMessage, postgresUrl } from '../support/databases.js';
import type { TestDatabase } from '../support/databases.js';
import { noteSkippedWhen } from '../support/skip-notice.js';

for (const dialect of dialects) {
  describe.skipIf(!dialect.isAvailable)(`outbox jobs on ${dialect.name}`, () => {
    let testDatabase: TestDatabase;
    const opened: Database[] = [];

    async function open(): Promise<Database> {
      const database = createDatabase(
        loadDatabaseConfig({ env: {}, overrides: { RAMPART_DATA_DIR: testDatabase.dataDir, ...(testDatabase.url ? { RAMPART_DATABASE_URL: testDatabase.url } : {}) } }),
      );
      opened.push(database);
      await migrateToLatest(database.db);
      return database;
    }

    afterEach(async () => {
      for (const database of opened.splice(0)) await database.close();
      await testDatabase.drop();
    });

    it('hands each due job to exactly one of several concurrent claimers', async () => {
      testDatabase = await dialect.create();
      const first = await open();
      const second = await open();
      for (let index = 0; index < 300; index += 1) await enqueueJob(first.db, { kind: 'send-message', subjectId: `m${index}`, runAt: 1_000 });
      const claimers = [first, second, first, second].map((database, index) =>
        claimDueJobs(database.db, database.dialect, { owner: `w${index}`, now: 2_000, leaseUntil: 60_000, limit: 100, kinds: ['send-message'] }),
      );
      const claimed = (await Promise.all(claimers)).flat();
      expect(claimed).toHaveLength(300);
      expect(new Set(claimed.map((job) => job.id)).size).toBe(300);
    });

    it('claims only due jobs of the asked kinds, and a job again once its lease has run out', async () => {
      testDatabase = await dialect.create();
      const database = await open();
      await enqueueJob(database.db, { kind: 'send-message', subjectId: 'due', runAt: 1_000 });
      await enqueueJob(database.db, { kind: 'send-message', subjectId: 'later', runAt: 5_000 });
      await enqueueJob(database.db, { kind: 'forward-event', subjectId: 'other kind', runAt: 1_000 });
      const claim = (owner: string, now: number) => claimDueJobs(database.db, database.dialect, { owner, now, leaseUntil: now + 10_000, limit: 10, kinds: ['send-message'] });

      const firstClaim = await claim('crashed-worker', 2_000);
      expect(firstClaim.map((job) => job.subject_id)).toEqual(['due']);
      expect(await claim('other-worker', 3_000)).toEqual([]);
      // The first worker died: after its lease, the job is due for someone else.
      const reclaimed = await claim('other-worker', 12_001);
      expect(reclaimed.map((job) => job.subject_id).sort()).toEqual(['due', 'later']);
      // The crashed worker's late outcome is refused: the job is no longer its to finish.
      expect(await completeJob(database.db, { id: firstClaim[0]!.id, owner: 'crashed-worker', now: 12_002 })).toBe(false);
      expect(await completeJob(database.db, { id: firstClaim[0]!.id, owner: 'other-worker', now: 12_002 })).toBe(true);
    });

    it('renews only the leases its owner still holds, so a slow job is not claimed twice', async () => {
      testDatabase = await dialect.create();
      const database = await open();
      await enqueueJob(database.db, { kind: 'send-message', subjectId: 'slow', runAt: 1_000 });
      await enqueueJob(database.db, { kind: 'send-message', subjectId: 'lost', runAt: 1_000 });
      const claimed = await claimDueJobs(database.db, database.dialect, { owner: 'w1', now: 2_000, leaseUntil: 12_000, limit: 10, kinds: ['send-message'] });
      // UPDATE … RETURNING gives no order on PostgreSQL.
      const [slow, lost] = ['slow', 'lost'].map((subject) => claimed.find((job) => job.subject_id === subject));
      // The second job's lease ran out and another worker took it.
      await database.db.updateTable('outbox_jobs').set({ lease_owner: 'w2', lease_until: 40_000 }).where('id', '=', lost!.id).execute();
      expect(await renewLeases(database.db, { owner: 'w1', ids: [slow!.id, lost!.id], now: 11_000, leaseUntil: 21_000 })).toBe(1);
      const claim = (now: number) => claimDueJobs(database.db, database.dialect, { owner: 'w3', now, leaseUntil: now + 10_000, limit: 10, kinds: ['send-message'] });
      expect(await claim(15_000)).toEqual([]);
      expect((await claim(21_001)).map((job) => job.subject_id)).toEqual(['slow']);
    });

    it('a worker keeps the lease of a job that runs three times longer than the lease, and runs it once', async () => {
      testDatabase = await dialect.create();
      const database = await open();
      const other = await open();
      await enqueueJob(database.db, { kind: 'send-message', subjectId: 'slow', runAt: 0 });
      const runs: string[] = [];
      const slowHandler = (name: string) => ({
        kind: 'send-message',
        run: async () => {
          runs.push(name);
          await new Promise((resolve) => setTimeout(resolve, 900));
          return { kind: 'done' as const };
        },
      });
      const logger = createLogger('silent');
      const workers = [
        createOutboxWorker({ database, handlers: [slowHandler('first')], clock: systemClock, logger, leaseMs: 300, pollMs: 20 }),
        createOutboxWorker({ database: other, handlers: [slowHandler('second')], clock: systemClock, logger, leaseMs: 300, pollMs: 20 }),
      ];
      workers[0]!.start();
      await new Promise((resolve) => setTimeout(resolve, 50));
      workers[1]!.start();
      await new Promise((resolve) => setTimeout(resolve, 1_200));
      await Promise.all(workers.map((worker) => worker.stop()));
      expect(runs).toEqual(['first']);
      expect((await countJobs(database.db)).done).toBe(1);
    });

    it('reschedules with or without counting an attempt, and keeps dead jobs with their reason', async () => {
      testDatabase = await dialect.create();
      const database = await open();
      await enqueueJob(database.db, { kind: 'send-message', subjectId: 'a', runAt: 0 });
      await enqueueJob(database.db, { kind: 'send-message', subjectId: 'b', runAt: 0 });
      const claimed = await claimDueJobs(database.db, database.dialect, { owner: 'w', now: 1, leaseUntil: 100, limit: 10, kinds: ['send-message'] });
      // RETURNING promises no order.
      const [a, b] = claimed.sort((left, right) => left.subject_id.localeCompare(right.subject_id));
      expect(await rescheduleJob(database.db, { id: a!.id, owner: 'w', now: 2, runAt: 50, reason: 'waiting', countsAsAttempt: false })).toBe(true);
      expect(await killJob(database.db, { id: b!.id, owner: 'w', now: 2, reason: 'template does not exist (132001)' })).toBe(true);
      const rows = await database.db.selectFrom('outbox_jobs').selectAll().orderBy('subject_id').execute();
      expect(rows.map((row) => [row.subject_id, row.state, row.attempts, row.last_error])).toEqual([
        ['a', 'pending', 0, 'waiting'],
        ['b', 'dead', 1, 'template does not exist (132001)'],
      ]);
      expect(await claimDueJobs(database.db, database.dialect, { owner: 'w', now: 49, leaseUntil: 100, limit: 10, kinds: ['send-message'] })).toEqual([]);
      const [again] = await claimDueJobs(database.db, database.dialect, { owner: 'w', now: 50, leaseUntil: 100, limit: 10, kinds: ['send-message'] });
      expect(await rescheduleJob(database.db, { id: again!.id, owner: 'w', now: 51, runAt: 60, reason: 'HTTP 503', countsAsAttempt: true })).toBe(true);
      expect(await countJobs(database.db)).toEqual({ pending: 1, done: 0, dead: 1 });
      expect((await database.db.selectFrom('outbox_jobs').select('attempts').where('subject_id', '=', 'a').executeTakeFirstOrThrow()).attempts).toBe(1);
    });
  });
}

noteSkippedWhen(postgresUrl === undefined, 'outbox jobs on postgres', missingPostgresMessage);
