import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects, missingPostgresMessage, postgresUrl } from '../support/databases.js';
import type { TestDatabase } from '../support/databases.js';
import { noteSkippedWhen } from '../support/skip-notice.js';
import type { InboxFixture, SignedInStaff } from './support/inbox-fixture.js';
import {
  auditEntriesSince,
  auditSize,
  conversationIdOf,
  makeAuditUnwritable,
  newCustomerNumber,
  receiveFromCustomers,
  request,
  signInStaff,
  startInboxFixture,
  textMessage,
} from './support/inbox-fixture.js';

/**
 * The leak this file pins: customer data leaving the inbox without an audit entry. Listing and
 * summaries must carry no plaintext and write nothing; every route that decrypts must write exactly
 * one entry first, and must release nothing when the log cannot take it.
 */
noteSkippedWhen(postgresUrl === undefined, 'inbox audit trail on postgres', missingPostgresMessage);

const NAME = 'Ada Lovelace';
const SECRET_TEXT = 'My order 5521 never arrived, call me';

for (const dialect of dialects) {
  describe.skipIf(!dialect.isAvailable)(`inbox audit trail on ${dialect.name}`, () => {
    let testDatabase: TestDatabase;
    let fixture: InboxFixture;
    let supervisor: SignedInStaff;
    let customer: string;
    let conversationId: string;

    beforeAll(async () => {
      testDatabase = await dialect.create();
      fixture = await startInboxFixture(testDatabase);
      supervisor = await signInStaff(fixture.harness, ['supervisor']);
      customer = newCustomerNumber();
      await receiveFromCustomers(fixture.harness, [{ from: customer, name: NAME, message: textMessage(SECRET_TEXT) }]);
      conversationId = await conversationIdOf(fixture.harness, customer);
    });

    afterAll(async () => {
      await fixture?.close();
      await testDatabase?.drop();
    });

    /** Every form the customer's data could take in an answer. */
    const expectNoPlaintext = (body: string) => {
      expect(body).not.toContain(NAME);
      expect(body).not.toContain(customer);
      expect(body).not.toContain(customer.slice(-7));
      expect(body).not.toContain('5521');
    };

    const decryptingReads = () => [
      { action: 'conversation.open', resource: 'conversation', call: () => request(fixture.harness, supervisor, 'GET', `/api/v1/conversations/${conversationId}/messages`) },
      { action: 'contact.view', resource: 'contact', call: () => request(fixture.harness, supervisor, 'GET', `/api/v1/contacts/${conversationId}`) },
      { action: 'contact.search', resource: 'contact', call: () => request(fixture.harness, supervisor, 'POST', '/api/v1/conversations/search', { phone: `+${customer}` }) },
      { action: 'conversation.export', resource: 'conversation', call: () => request(fixture.harness, supervisor, 'GET', `/api/v1/conversations/${conversationId}/export?format=csv`) },
    ];

    it('lists and summarises conversations without decrypting anything and without writing an entry', async () => {
      const before = await auditSize(fixture.harness);
      const list = await request(fixture.harness, supervisor, 'GET', '/api/v1/conversations');
      expect(list.statusCode).toBe(200);
      const listed = (list.json() as { conversations: { id: string; pseudonym: string }[] }).conversations;
      expect(listed.map((conversation) => conversation.id)).toContain(conversationId);
      expect(listed.find((conversation) => conversation.id === conversationId)!.pseudonym).toBe(`C-${conversationId.slice(0, 8).toUpperCase()}`);
      expectNoPlaintext(list.body);
      const summary = await request(fixture.harness, supervisor, 'GET', `/api/v1/conversations/${conversationId}`);
      expect(summary.statusCode).toBe(200);
      expectNoPlaintext(summary.body);
      expect(await auditSize(fixture.harness)).toBe(before);
    });

    it('writes exactly one entry per decrypting read: the user as actor, the contact as subject, no personal data', async () => {
      for (const read of decryptingReads()) {
        const before = await auditSize(fixture.harness);
        const response = await read.call();
        expect(response.statusCode, read.action).toBe(200);
        const entries = await auditEntriesSince(fixture.harness, before);
        expect(entries, read.action).toHaveLength(1);
        const [entry] = entries;
        expect(entry).toMatchObject({
          action: read.action,
          actorType: 'user',
          actorId: supervisor.userId,
          // A display name is a person's name: the actor is named by id only.
          actorLabel: null,
          resourceType: read.resource,
          resourceId: conversationId,
          subjectContactId: conversationId,
          outcome: 'success',
        });
        expectNoPlaintext(JSON.stringify(entry));
      }
    });

    it('releases the plaintext only through those reads', async () => {
      const thread = await request(fixture.harness, supervisor, 'GET', `/api/v1/conversations/${conversationId}/messages`);
      expect(thread.json()).toMatchObject({ contact: { name: NAME, phone: `+${customer}` }, messages: [{ direction: 'inbound', text: SECRET_TEXT }] });
      const contact = await request(fixture.harness, supervisor, 'GET', `/api/v1/contacts/${conversationId}`);
      expect(contact.json()).toMatchObject({ id: conversationId, name: NAME, phone: `+${customer}`, messageCounts: { inbound: 1, outbound: 0 } });
    });

    it('fails every decrypting read with 503 AUDIT_UNAVAILABLE, releasing nothing, when the log refuses entries', async () => {
      const restore = await makeAuditUnwritable(fixture.database);
      try {
        for (const read of decryptingReads()) {
          const response = await read.call();
          expect(response.statusCode, read.action).toBe(503);
          expect(response.json().code, read.action).toBe('AUDIT_UNAVAILABLE');
          expectNoPlaintext(response.body);
          expect(response.headers['content-disposition'], read.action).toBeUndefined();
        }
      } finally {
        await restore();
      }
    });

    it('refuses replies and assignments whose entry cannot be written, and changes nothing', async () => {
      const agent = await signInStaff(fixture.harness, ['agent']);
      const countOutbound = async () => (await fixture.database.db.selectFrom('outbound_messages').select('id').where('contact_id', '=', conversationId).execute()).length;
      const outboundBefore = await countOutbound();
      const restore = await makeAuditUnwritable(fixture.database);
      try {
        const reply = await request(fixture.sending, supervisor, 'POST', `/api/v1/conversations/${conversationId}/messages`, { text: 'We are on it' });
        expect([reply.statusCode, reply.json().code]).toEqual([503, 'AUDIT_UNAVAILABLE']);
        const assignment = await request(fixture.harness, supervisor, 'PUT', `/api/v1/conversations/${conversationId}/assignment`, { userId: agent.userId });
        expect([assignment.statusCode, assignment.json().code]).toEqual([503, 'AUDIT_UNAVAILABLE']);
      } finally {
        await restore();
      }
      expect(await countOutbound()).toBe(outboundBefore);
      expect(await fixture.database.db.selectFrom('outbox_jobs').select('id').where('kind', '=', 'send-message').execute()).toHaveLength(outboundBefore);
      expect(await fixture.database.db.selectFrom('conversation_assignments').selectAll().where('contact_id', '=', conversationId).execute()).toEqual([]);
    });

    it('writes no entry for a search that finds nothing, and refuses a non-number without echoing it', async () => {
      const before = await auditSize(fixture.harness);
      const unknown = await request(fixture.harness, supervisor, 'POST', '/api/v1/conversations/search', { phone: `+${newCustomerNumber()}` });
      expect([unknown.statusCode, unknown.json().code]).toEqual([404, 'NOT_FOUND']);
      const invalid = await request(fixture.harness, supervisor, 'POST', '/api/v1/conversations/search', { phone: 'call 0800 NOT-A-NUMBER' });
      expect([invalid.statusCode, invalid.json().code]).toEqual([400, 'INVALID_REQUEST']);
      expect(invalid.body).not.toContain('NOT-A-NUMBER');
      expect(await auditSize(fixture.harness)).toBe(before);
    });

    it('keeps names, numbers and message text out of the log', async () => {
      await request(fixture.sending, supervisor, 'GET', `/api/v1/conversations/${conversationId}/messages`);
      await request(fixture.sending, supervisor, 'POST', '/api/v1/conversations/search', { phone: `+${customer}` });
      const restore = await makeAuditUnwritable(fixture.database);
      try {
        // A 503 is logged with its cause; the cause is the database's refusal, never the data.
        expect((await request(fixture.sending, supervisor, 'GET', `/api/v1/contacts/${conversationId}`)).statusCode).toBe(503);
      } finally {
        await restore();
      }
      const logs = fixture.logs();
      expect(logs).toContain('AUDIT_UNAVAILABLE');
      for (const personal of [NAME, customer, SECRET_TEXT]) expect(logs).not.toContain(personal);
    });
  });
}
