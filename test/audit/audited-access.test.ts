import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { listAuditEntries } from '../../src/audit/audit-repository.js';
import type { Database } from '../../src/db/database.js';
import { AppError, isAppError } from '../../src/errors.js';
import { dialects, missingPostgresMessage, postgresUrl } from '../support/databases.js';
import { noteSkippedWhen } from '../support/skip-notice.js';
import type { AuditFixture } from './support/audit-fixture.js';
import { conversationRead, openAuditLog, openDatabase, useAuditDatabase } from './support/audit-fixture.js';

noteSkippedWhen(postgresUrl === undefined, 'audited access on postgres', missingPostgresMessage);

/** Makes audit_entries refuse inserts, as a full disk or a revoked grant would. */
async function makeEntriesUnwritable(database: Database): Promise<void> {
  if (database.dialect === 'sqlite') {
    await sql`create trigger audit_entries_read_only before insert on audit_entries begin select raise(abort, 'read-only'); end`.execute(database.db);
    return;
  }
  await sql`create function audit_entries_read_only() returns trigger language plpgsql as $$ begin raise exception 'read-only'; end $$`.execute(database.db);
  await sql`create trigger audit_entries_read_only before insert on audit_entries for each row execute function audit_entries_read_only()`.execute(database.db);
}

async function dropUnwritable(database: Database): Promise<void> {
  if (database.dialect === 'sqlite') {
    await sql`drop trigger if exists audit_entries_read_only`.execute(database.db);
    return;
  }
  await sql`drop trigger if exists audit_entries_read_only on audit_entries`.execute(database.db);
  await sql`drop function if exists audit_entries_read_only()`.execute(database.db);
}

for (const dialect of dialects) {
  describe.skipIf(!dialect.isAvailable)(`audited access on ${dialect.name}`, () => {
    const suiteDatabase = useAuditDatabase(dialect);
    let fixture: AuditFixture | undefined;
    const closers: (() => Promise<void>)[] = [];
    afterEach(async () => {
      for (const close of closers.splice(0).reverse()) await close();
      await fixture?.close();
      fixture = undefined;
    });

    async function open(): Promise<{ fixture: AuditFixture; observer: Database }> {
      fixture = await openAuditLog(suiteDatabase());
      // A second connection sees only what was committed.
      const observer = await openDatabase(suiteDatabase());
      closers.push(() => observer.close());
      return { fixture, observer };
    }

    it('commits exactly one entry per successful access, before the plaintext callback runs', async () => {
      const { fixture: built, observer } = await open();
      const requestIds = Array.from({ length: 6 }, (_unused, index) => `req-${index}`);
      const plaintexts = await Promise.all(
        requestIds.map((requestId) =>
          built.log.auditedAccess({ ...conversationRead({ requestId }) }, async () => {
            const committed = await observer.db.selectFrom('audit_entries').select('seq').where('request_id', '=', requestId).execute();
            expect(committed).toHaveLength(1);
            return `plaintext for ${requestId}`;
          }),
        ),
      );
      expect(plaintexts).toEqual(requestIds.map((requestId) => `plaintext for ${requestId}`));
      const entries = await listAuditEntries(observer.db, { fromSeq: 0, limit: 100 });
      expect(entries.map((entry) => entry.requestId).sort()).toEqual(requestIds);
      expect(entries.every((entry) => entry.outcome === 'success')).toBe(true);
    });

    it('never calls the plaintext callback when the entry cannot be written (table refuses inserts)', async () => {
      const { fixture: built, observer } = await open();
      await makeEntriesUnwritable(observer);
      closers.push(() => dropUnwritable(observer));
      let calls = 0;
      const attempt = built.log.auditedAccess(conversationRead(), () => {
        calls += 1;
        return 'plaintext';
      });
      await expect(attempt).rejects.toMatchObject({ code: 'AUDIT_UNAVAILABLE' });
      expect(calls).toBe(0);
      expect(await listAuditEntries(observer.db, { fromSeq: 0, limit: 10 })).toEqual([]);
    });

    it('never calls the plaintext callback when the database is closed', async () => {
      const { fixture: built } = await open();
      await built.database.close();
      let calls = 0;
      const error = await built.log.auditedAccess(conversationRead(), () => (calls += 1)).catch((caught: unknown) => caught);
      expect(isAppError(error) && error.code).toBe('AUDIT_UNAVAILABLE');
      expect(calls).toBe(0);
    });

    it('never calls the plaintext callback for an entry that would hold personal data', async () => {
      const { fixture: built, observer } = await open();
      let calls = 0;
      await expect(built.log.auditedAccess(conversationRead({ actor: { type: 'user', id: 'u-1', label: 'Call +49 151 1234567' } }), () => (calls += 1))).rejects.toThrow(RangeError);
      expect(calls).toBe(0);
      expect(await listAuditEntries(observer.db, { fromSeq: 0, limit: 10 })).toEqual([]);
    });

    it('follows a read that fails after its entry with a failed entry naming it, and rethrows the read\'s error', async () => {
      const { fixture: built, observer } = await open();
      const failure = new AppError('DECRYPT_FAILED', 'tampered');
      await expect(built.log.auditedAccess(conversationRead({ requestId: 'req-x' }), () => Promise.reject(failure))).rejects.toBe(failure);
      const entries = await listAuditEntries(observer.db, { fromSeq: 0, limit: 10 });
      expect(entries.map((entry) => [entry.seq, entry.outcome, entry.requestId])).toEqual([
        [0, 'success', 'req-x'],
        [1, 'failed', 'req-x'],
      ]);
      expect(JSON.parse(entries[1]!.details)).toEqual({ accessSeq: 0, messages: 12, reason: 'DECRYPT_FAILED' });
    });
  });
}
