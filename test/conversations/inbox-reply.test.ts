import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects, missingPostgresMessage, postgresUrl } from '../support/databases.js';
import type { TestDatabase } from '../support/databases.js';
import { noteSkippedWhen } from '../support/skip-notice.js';
import type { InboxFixture, SignedInStaff } from './support/inbox-fixture.js';
import { auditEntriesSince, auditSize, conversationIdOf, newCustomerNumber, receiveFromCustomers, request, signInStaff, startInboxFixture, textMessage } from './support/inbox-fixture.js';

noteSkippedWhen(postgresUrl === undefined, 'inbox replies on postgres', missingPostgresMessage);

const HOUR_MS = 60 * 60 * 1000;

interface ThreadAnswer {
  messages: { id: string; direction: string; text: string | null; status: string | null; sentBy: { type: string; label: string } | null }[];
  conversation: { optedOut: boolean; window: { isOpen: boolean }; lastDirection: string };
}

for (const dialect of dialects) {
  describe.skipIf(!dialect.isAvailable)(`inbox replies on ${dialect.name}`, () => {
    let testDatabase: TestDatabase;
    let fixture: InboxFixture;
    let supervisor: SignedInStaff;

    beforeAll(async () => {
      testDatabase = await dialect.create();
      fixture = await startInboxFixture(testDatabase);
      supervisor = await signInStaff(fixture.harness, ['supervisor'], 'Sam Supervisor');
    });

    afterAll(async () => {
      await fixture?.close();
      await testDatabase?.drop();
    });

    /** A customer who wrote `secondsAgo` before the fixture's clock; returns the conversation id. */
    const customerWrote = async (body: string, secondsAgo = 60, customer = newCustomerNumber()) => {
      await receiveFromCustomers(fixture.harness, [{ from: customer, message: textMessage(body), timestamp: Math.floor(fixture.harness.clock.now() / 1000) - secondsAgo }]);
      return conversationIdOf(fixture.harness, customer);
    };
    const reply = (conversationId: string, text: unknown, by = supervisor, headers?: Record<string, string>) =>
      request(fixture.sending, by, 'POST', `/api/v1/conversations/${conversationId}/messages`, { text }, headers);
    const thread = async (conversationId: string, by = supervisor) => (await request(fixture.sending, by, 'GET', `/api/v1/conversations/${conversationId}/messages`)).json() as ThreadAnswer;
    const storedReplies = (conversationId: string) => fixture.database.db.selectFrom('outbound_messages').selectAll().where('contact_id', '=', conversationId).execute();

    it('queues a reply through the outbox as the signed-in user, sealed, with one audit entry committed alongside', async () => {
      const conversationId = await customerWrote('Is the blue one in stock?');
      const before = await auditSize(fixture.harness);
      const text = 'Yes, we have 3 left. Shall I reserve one?';
      const response = await reply(conversationId, text);
      expect(response.statusCode).toBe(202);
      const { id, status } = response.json() as { id: string; status: string };
      expect(status).toBe('queued');

      const [row] = await storedReplies(conversationId);
      expect(row).toMatchObject({ id, type: 'text', state: 'queued', sent_by_user_id: supervisor.userId, api_key_id: null, phone_number_id: '106540352242922' });
      expect(row!.content_enc.includes(Buffer.from('reserve'))).toBe(false);
      expect(await fixture.database.db.selectFrom('outbox_jobs').select(['kind', 'state']).where('subject_id', '=', id).execute()).toEqual([{ kind: 'send-message', state: 'pending' }]);

      const entries = await auditEntriesSince(fixture.harness, before);
      expect(entries).toHaveLength(1);
      expect(entries[0]).toMatchObject({ action: 'conversation.reply', actorType: 'user', actorId: supervisor.userId, subjectContactId: conversationId, outcome: 'success' });
      expect(JSON.parse(entries[0]!.details)).toEqual({ messageId: id });

      const opened = await thread(conversationId);
      expect(opened.messages.at(-1)).toEqual(expect.objectContaining({ id, direction: 'outbound', text, status: 'queued', sentBy: { type: 'user', label: 'Sam Supervisor' } }));
      expect(opened.messages[0]).toEqual(expect.objectContaining({ direction: 'inbound', sentBy: null, status: null }));
      expect(opened.conversation.lastDirection).toBe('outbound');
    });

    it('refuses a reply once the 24-hour window has closed (409 WINDOW_CLOSED), storing nothing and writing no entry', async () => {
      const conversationId = await customerWrote('Hello?', 25 * 60 * 60);
      const before = await auditSize(fixture.harness);
      const response = await reply(conversationId, 'Sorry for the wait!');
      expect([response.statusCode, response.json().code]).toEqual([409, 'WINDOW_CLOSED']);
      expect(await storedReplies(conversationId)).toEqual([]);
      expect(await auditSize(fixture.harness)).toBe(before);
      expect((await thread(conversationId)).conversation.window.isOpen).toBe(false);
    });

    it('closes the window 24 hours after the customer last wrote', async () => {
      const conversationId = await customerWrote('Thanks!');
      expect((await reply(conversationId, 'You are welcome')).statusCode).toBe(202);
      fixture.harness.clock.advance(24 * HOUR_MS);
      // The clock moved past the session's idle timeout: sign in again.
      supervisor = await signInStaff(fixture.harness, ['supervisor'], 'Sam Supervisor');
      const late = await reply(conversationId, 'Anything else?');
      expect([late.statusCode, late.json().code]).toEqual([409, 'WINDOW_CLOSED']);
    });

    it('still answers a customer who opted out of marketing (STOP): a reply in the window is service, not marketing', async () => {
      const customer = newCustomerNumber();
      const conversationId = await customerWrote('Do you have gift cards?', 120, customer);
      await customerWrote('STOP', 60, customer);
      expect((await thread(conversationId)).conversation.optedOut).toBe(true);
      expect((await reply(conversationId, 'Yes, in every store.')).statusCode).toBe(202);
      expect(await storedReplies(conversationId)).toHaveLength(1);
      const contact = await request(fixture.sending, supervisor, 'GET', `/api/v1/contacts/${conversationId}`);
      expect(contact.json().consent).toEqual([expect.objectContaining({ purpose: 'marketing', state: 'opted-out', source: 'keyword' })]);

      await customerWrote('START', 30, customer);
      expect((await reply(conversationId, 'Welcome back')).statusCode).toBe(202);
      expect((await thread(conversationId)).conversation.optedOut).toBe(false);
    });

    it('answers a retried reply with the same Idempotency-Key with the first answer, stored once', async () => {
      const conversationId = await customerWrote('Can you call me back?');
      const headers = { 'idempotency-key': 'reply-7f1c' };
      const answers = await Promise.all([1, 2, 3].map(() => reply(conversationId, 'We will call at 3pm', supervisor, headers)));
      expect(answers.map((answer) => answer.statusCode)).toEqual([202, 202, 202]);
      expect(new Set(answers.map((answer) => answer.json().id)).size).toBe(1);
      expect(answers.filter((answer) => answer.headers['idempotent-replayed'] === 'true')).toHaveLength(2);
      expect(await storedReplies(conversationId)).toHaveLength(1);
      const reused = await reply(conversationId, 'Something else', supervisor, headers);
      expect([reused.statusCode, reused.json().code]).toEqual([422, 'IDEMPOTENCY_KEY_REUSED']);
      // Keys belong to their caller: a colleague's identical key is another reply.
      const colleague = await signInStaff(fixture.harness, ['supervisor']);
      const theirs = await reply(conversationId, 'We will call at 3pm', colleague, headers);
      expect(theirs.statusCode).toBe(202);
      expect(theirs.json().id).not.toBe(answers[0]!.json().id);
    });

    it('lets an agent answer only a conversation assigned to them', async () => {
      const agent = await signInStaff(fixture.harness, ['agent'], 'Anna Agent');
      const conversationId = await customerWrote('Hi there');
      expect((await reply(conversationId, 'Hello from Anna', agent)).statusCode).toBe(404);
      const assigned = await request(fixture.sending, supervisor, 'PUT', `/api/v1/conversations/${conversationId}/assignment`, { userId: agent.userId });
      expect(assigned.statusCode).toBe(200);
      expect((await reply(conversationId, 'Hello from Anna', agent)).statusCode).toBe(202);
      expect((await thread(conversationId, agent)).messages.at(-1)!.sentBy).toEqual({ type: 'user', label: 'Anna Agent' });
    });

    it('refuses empty, blank and over-long text with 400 and stores nothing', async () => {
      const conversationId = await customerWrote('Hello');
      for (const text of ['', '   \n ', 'x'.repeat(4_097), 42, null]) {
        const response = await reply(conversationId, text);
        expect([response.statusCode, response.json().code], JSON.stringify(text).slice(0, 20)).toEqual([400, 'INVALID_REQUEST']);
      }
      // The recipient is the conversation: a body naming another one is refused, not ignored.
      const redirected = await request(fixture.sending, supervisor, 'POST', `/api/v1/conversations/${conversationId}/messages`, { text: 'hi', to: '+4915100000000' });
      expect(redirected.statusCode).toBe(400);
      expect(await storedReplies(conversationId)).toEqual([]);
    });

    it('answers 503 SENDING_NOT_CONFIGURED where no Cloud API is set up', async () => {
      const conversationId = await customerWrote('Hello');
      const response = await request(fixture.harness, supervisor, 'POST', `/api/v1/conversations/${conversationId}/messages`, { text: 'Hi' });
      expect([response.statusCode, response.json().code]).toEqual([503, 'SENDING_NOT_CONFIGURED']);
      expect(await storedReplies(conversationId)).toEqual([]);
    });
  });
}
