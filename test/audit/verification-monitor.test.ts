import { afterEach, expect, it } from 'vitest';
import { createVerificationMonitor } from '../../src/audit/audit-routes/verification-monitor.js';
import { createSqliteDatabase } from '../support/databases.js';
import type { TestDatabase } from '../support/databases.js';
import { conversationRead, createTestClock, openAuditLog, silentLogger } from './support/audit-fixture.js';
import type { AuditFixture } from './support/audit-fixture.js';

let testDatabase: TestDatabase | undefined;
let live: AuditFixture | undefined;
afterEach(async () => {
  await live?.close();
  await testDatabase?.drop();
});

it('keeps showing a broken verdict while a new verification runs', async () => {
  testDatabase = await createSqliteDatabase();
  live = await openAuditLog(testDatabase);
  for (let seq = 0; seq < 50; seq += 1) await live.log.append(conversationRead());
  await live.database.db.deleteFrom('audit_entries').where('seq', '=', 7).execute();
  const monitor = createVerificationMonitor({ db: live.database.db, audit: live.log, clock: createTestClock(), logger: silentLogger });
  monitor.start({ kind: 'automatic' });
  await monitor.settle(10_000);
  expect(monitor.describe()).toMatchObject({ state: 'broken', firstBadSeq: 7 });
  const duringRerun = monitor.start({ kind: 'automatic' });
  expect(duringRerun).toMatchObject({ state: 'broken', firstBadSeq: 7, message: expect.stringContaining('checking again now') });
  await monitor.settle(10_000);
  expect(monitor.describe()).toMatchObject({ state: 'broken', firstBadSeq: 7 });
});
