import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects, missingPostgresMessage, postgresUrl } from '../support/databases.js';
import type { TestDatabase } from '../support/databases.js';
import { createSendService } from '../../src/outbound/send-service.js';
import { createTemplateCatalog } from '../../src/outbound/template-catalog.js';
import { noteSkippedWhen } from '../support/skip-notice.js';
import type { InboxFixture, SignedInStaff } from './support/inbox-fixture.js';
import { conversationIdOf, newCustomerNumber, receiveFromCustomers, receiveStatus, request, signInStaff, startInboxFixture, textMessage } from './support/inbox-fixture.js';

noteSkippedWhen(postgresUrl === undefined, 'inbox threads and lists on postgres', missingPostgresMessage);

const XSS = '<img src=x onerror=alert(1)>';
const DAY_MS = 24 * 60 * 60 * 1000;

interface ThreadMessage {
  id: string;
  direction: 'inbound' | 'outbound';
  type: string;
  sentAt: number;
  text: string | null;
  summary: string;
  mediaId: string | null;
  status: string | null;
  failure: { code: number | null; reason: string } | null;
  sentBy: { type: string; label: string } | null;
}
interface ThreadPage {
  conversation: { id: string; messageCount: number; lastMessageAt: number; lastInboundAt: number; lastDirection: string; window: { isOpen: boolean; closesAt: number } };
  contact: { name: string | null; phone: string };
  messages: ThreadMessage[];
  nextBefore: number | null;
}

for (const dialect of dialects) {
  describe.skipIf(!dialect.isAvailable)(`inbox threads and lists on ${dialect.name}`, () => {
    let testDatabase: TestDatabase;
    let fixture: InboxFixture;
    let supervisor: SignedInStaff;
    let seconds: number;

    beforeAll(async () => {
      testDatabase = await dialect.create();
      fixture = await startInboxFixture(testDatabase);
      supervisor = await signInStaff(fixture.harness, ['supervisor']);
      seconds = Math.floor(fixture.harness.clock.now() / 1000);
    });

    afterAll(async () => {
      await fixture?.close();
      await testDatabase?.drop();
    });

    const openThread = async (conversationId: string, query = '') => {
      const response = await request(fixture.harness, supervisor, 'GET', `/api/v1/conversations/${conversationId}/messages${query}`);
      expect(response.statusCode, response.body).toBe(200);
      return { page: response.json() as ThreadPage, response };
    };

    it('shows each kind of customer message by its text or summary, and links media by its stored id', async () => {
      const customer = newCustomerNumber();
      await receiveFromCustomers(fixture.harness, [
        { from: customer, name: 'Grace', timestamp: seconds - 50, message: textMessage('Hi!') },
        { from: customer, timestamp: seconds - 40, message: { type: 'image', image: { id: '8472976218001204', mime_type: 'image/jpeg', sha256: 'abc', caption: 'The broken lid' } } },
        { from: customer, timestamp: seconds - 30, message: { type: 'interactive', interactive: { type: 'button_reply', button_reply: { id: 'yes', title: 'Yes, refund me' } } } },
        { from: customer, timestamp: seconds - 20, message: { type: 'location', location: { latitude: 52.52, longitude: 13.4, name: 'Home' } } },
        { from: customer, timestamp: seconds - 10, message: { type: 'reaction', reaction: { message_id: 'wamid.x', emoji: '👍' } } },
      ]);
      const conversationId = await conversationIdOf(fixture.harness, customer);
      const { page } = await openThread(conversationId);
      expect(page.contact).toEqual({ name: 'Grace', phone: `+${customer}` });
      expect(page.messages.map((message) => [message.type, message.text, message.summary])).toEqual([
        ['text', 'Hi!', 'Text'],
        ['image', 'The broken lid', 'Image'],
        ['interactive', 'Yes, refund me', 'Button reply'],
        ['location', null, 'Location'],
        ['reaction', '👍', 'Reaction'],
      ]);
      const media = await fixture.database.db.selectFrom('media_objects').select('id').where('contact_id', '=', conversationId).executeTakeFirstOrThrow();
      expect(page.messages[1]!.mediaId).toBe(media.id);
      expect(page.messages.filter((message) => message.mediaId !== null)).toHaveLength(1);
      expect(page.conversation).toMatchObject({ messageCount: 5, lastInboundAt: (seconds - 10) * 1000, lastMessageAt: (seconds - 10) * 1000, lastDirection: 'inbound' });
      expect(page.conversation.window).toEqual({ isOpen: true, closesAt: (seconds - 10) * 1000 + DAY_MS });
      expect(page.nextBefore).toBeNull();
    });

    it('returns customer text that looks like HTML verbatim, as JSON data', async () => {
      const customer = newCustomerNumber();
      await receiveFromCustomers(fixture.harness, [{ from: customer, name: XSS, message: textMessage(`${XSS} "quoted" & \u2028`) }]);
      const conversationId = await conversationIdOf(fixture.harness, customer);
      const { page, response } = await openThread(conversationId);
      expect(response.headers['content-type']).toMatch(/^application\/json/);
      expect(page.contact.name).toBe(XSS);
      expect(page.messages[0]!.text).toBe(`${XSS} "quoted" & \u2028`);
      const contact = await request(fixture.harness, supervisor, 'GET', `/api/v1/contacts/${conversationId}`);
      expect(contact.json().name).toBe(XSS);
    });

    it('shows who sent each outbound message and its delivery progress from Meta\'s status webhooks', async () => {
      const customer = newCustomerNumber();
      await receiveFromCustomers(fixture.harness, [{ from: customer, message: textMessage('Any news?') }]);
      const conversationId = await conversationIdOf(fixture.harness, customer);
      const { key } = await fixture.harness.apiKeys.createApiKey('crm', ['messages:send']);
      const principal = await fixture.harness.apiKeys.authenticate(key);
      // A reply typed in the inbox, and a service's message (the send API's path).
      const reply = await request(fixture.sending, supervisor, 'POST', `/api/v1/conversations/${conversationId}/messages`, { text: 'Shipped today' });
      expect(reply.statusCode).toBe(202);
      fixture.harness.clock.advance(1_000);
      const serviceMessage = await createServiceMessage(fixture, principal!, customer);
      // What the sender job records once Meta accepted the messages (their wamids), then Meta's statuses.
      await markSentByMeta(fixture, reply.json().id, 'wamid.reply-1');
      await markSentByMeta(fixture, serviceMessage, 'wamid.service-1');
      await receiveStatus(fixture.harness, { wamid: 'wamid.reply-1', status: 'delivered', recipient: customer });
      await receiveStatus(fixture.harness, { wamid: 'wamid.reply-1', status: 'read', recipient: customer });
      await receiveStatus(fixture.harness, { wamid: 'wamid.service-1', status: 'failed', recipient: customer, errors: [{ code: 131026, title: 'Meta says: +4915100000000 unreachable' }] });

      const { page } = await openThread(conversationId);
      const outbound = page.messages.filter((message) => message.direction === 'outbound');
      expect(outbound.map((message) => [message.text, message.status, message.sentBy, message.failure?.code ?? null])).toEqual([
        ['Shipped today', 'read', { type: 'user', label: 'Test Person' }, null],
        ['Your invoice is ready', 'failed', { type: 'api-key', label: 'crm' }, 131026],
      ]);
      // Our words for Meta's code, never Meta's text (it may quote the customer).
      expect(outbound[1]!.failure!.reason).toBe('message undeliverable to this recipient (131026)');
    });

    it('pages a thread newest first without skipping or repeating messages that share a timestamp', async () => {
      const customer = newCustomerNumber();
      // Meta's timestamps are whole seconds: three messages share one, across the page boundary.
      const times = [seconds - 600, seconds - 500, seconds - 400, seconds - 400, seconds - 400, seconds - 300, seconds - 200];
      await receiveFromCustomers(fixture.harness, times.map((timestamp, position) => ({ from: customer, timestamp, message: textMessage(`message ${position}`) })));
      const conversationId = await conversationIdOf(fixture.harness, customer);
      const seen: string[] = [];
      let before: number | null = null;
      const pages: string[][] = [];
      do {
        const { page }: { page: ThreadPage } = await openThread(conversationId, `?limit=3${before === null ? '' : `&before=${before}`}`);
        const texts = page.messages.map((message) => message.text!);
        // Oldest first within a page.
        expect([...page.messages].sort((a, b) => a.sentAt - b.sentAt).map((message) => message.text)).toEqual(texts);
        pages.push(texts);
        seen.push(...texts);
        before = page.nextBefore;
      } while (before !== null);
      expect(seen.sort()).toEqual(times.map((_time, position) => `message ${position}`).sort());
      // The first page of 3 grows over the three messages of one second rather than splitting them.
      expect(pages.map((page) => page.length)).toEqual([5, 2]);
      expect([...pages[0]!].sort()).toEqual(['message 2', 'message 3', 'message 4', 'message 5', 'message 6']);
    });

    it('lists conversations latest first, page by page, each exactly once, even when several share a time', async () => {
      const customers = [newCustomerNumber(), newCustomerNumber(), newCustomerNumber()];
      await receiveFromCustomers(fixture.harness, customers.map((from) => ({ from, timestamp: seconds - 5, message: textMessage('same second') })));
      const all = await fixture.database.db.selectFrom('contacts').select('id').execute();
      const listed: { id: string; lastMessageAt: number }[] = [];
      let before: number | null = null;
      do {
        const response = await request(fixture.harness, supervisor, 'GET', `/api/v1/conversations?limit=2${before === null ? '' : `&before=${before}`}`);
        expect(response.statusCode).toBe(200);
        const body = response.json() as { conversations: { id: string; lastMessageAt: number }[]; nextBefore: number | null };
        listed.push(...body.conversations);
        before = body.nextBefore;
      } while (before !== null);
      expect(listed.map((conversation) => conversation.id).sort()).toEqual(all.map((contact) => contact.id).sort());
      expect(new Set(listed.map((conversation) => conversation.id)).size).toBe(listed.length);
      const times = listed.map((conversation) => conversation.lastMessageAt);
      expect(times).toEqual([...times].sort((a, b) => b - a));
    });

    it('refuses bad paging input and unknown filters with 400', async () => {
      for (const query of ['?limit=0', '?limit=101', '?limit=ten', '?before=-1', '?filter=everything']) {
        const response = await request(fixture.harness, supervisor, 'GET', `/api/v1/conversations${query}`);
        expect([response.statusCode, response.json().code], query).toEqual([400, 'INVALID_REQUEST']);
      }
      const badId = await request(fixture.harness, supervisor, 'GET', '/api/v1/conversations/1%27%20or%201=1/messages');
      expect(badId.statusCode).toBe(400);
    });
  });
}

/** A message a service sent through the send service (as POST /api/v1/messages does). */
async function createServiceMessage(fixture: InboxFixture, principal: { id: string; name: string }, customer: string): Promise<string> {
  const { clock, database, keys, index } = fixture.harness;
  const sends = createSendService({ database, keys, index, clock, templates: createTemplateCatalog({ listTemplates: null, clock }), phoneNumberId: '106540352242922', verifiedDomains: [], onQueued: () => undefined });
  const accepted = await sends.acceptMessage({ request: { to: `+${customer}`, type: 'text', text: { body: 'Your invoice is ready' } }, principal: { type: 'api-key', ...principal }, idempotencyKey: null });
  return accepted.id;
}

/** What the sender job writes when Meta accepts a message: state `sent` and the wamid's blind index. */
async function markSentByMeta(fixture: InboxFixture, messageId: string, wamid: string): Promise<void> {
  const now = fixture.harness.clock.now();
  await fixture.database.db
    .updateTable('outbound_messages')
    .set({ state: 'sent', wamid_index: fixture.harness.index.messageId(wamid), sent_at: now, updated_at: now })
    .where('id', '=', messageId)
    .execute();
}
