import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Fastify from 'fastify';
import { registerApi } from '../../src/http/api-plugin.js';
import { recordConsentChange } from '../../src/privacy/consent-service.js';
import { createSqliteDatabase } from '../support/databases.js';
import type { TestDatabase } from '../support/databases.js';
import { serialiseLikeMeta, textMessagePayload } from '../support/payloads.js';
import { startTestGateway } from '../support/test-gateway.js';
import type { TestGateway } from '../support/test-gateway.js';

const CUSTOMER = '+4915112345678';
const STRANGER = '+4915199999999';

describe('send API', () => {
  let database: TestDatabase;
  let gateway: TestGateway;
  let sender: string;
  let reader: string;

  beforeAll(async () => {
    database = await createSqliteDatabase();
    // Workers off: these tests are about what the API accepts and stores, not about sending.
    gateway = await startTestGateway(database, {
      runWorkers: false,
      overrides: { WHATSAPP_ACCESS_TOKEN: 'test-token', WHATSAPP_PHONE_NUMBER_ID: '106540352242922', WHATSAPP_GRAPH_URL: 'https://127.0.0.1:9' },
    });
    sender = (await gateway.rampart.apiKeys.createApiKey('sender', ['messages:send'])).key;
    reader = (await gateway.rampart.apiKeys.createApiKey('reader', ['messages:read'])).key;
    // The customer wrote a minute ago: their 24-hour window is open.
    const inbound = serialiseLikeMeta(textMessagePayload([{ wamid: 'wamid.open-window', from: CUSTOMER.slice(1), body: 'hi', timestamp: Math.floor(Date.now() / 1000) - 60 }]));
    expect((await gateway.post(inbound)).status).toBe(200);
  });

  afterAll(async () => {
    await gateway.close();
    await database.drop();
  });

  const send = (body: unknown, key: string | null = sender, headers: Record<string, string> = {}) =>
    gateway.rampart.app.inject({
      method: 'POST',
      url: '/api/v1/messages',
      headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}), ...headers },
      payload: JSON.stringify(body),
    });
  const text = (to: string, body = 'Your order has shipped') => ({ to, type: 'text', text: { body } });
  const countRows = async () => ({
    messages: (await gateway.rampart.database.db.selectFrom('outbound_messages').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n,
    jobs: (await gateway.rampart.database.db.selectFrom('outbox_jobs').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n,
  });

  it('refuses anonymous, malformed, unknown and revoked keys with 401 and a Bearer challenge', async () => {
    const revoked = await gateway.rampart.apiKeys.createApiKey('gone', ['messages:send']);
    await gateway.rampart.apiKeys.revokeApiKey(revoked.summary.id);
    for (const key of [null, 'not-a-key', `rmp_${'A'.repeat(43)}`, revoked.key]) {
      const response = await send(text(CUSTOMER), key);
      expect(response.statusCode).toBe(401);
      expect(response.headers['www-authenticate']).toBe('Bearer');
      expect(response.json().code).toBe('UNAUTHENTICATED');
    }
  });

  it('refuses a key without the route\'s scope with 403', async () => {
    expect((await send(text(CUSTOMER), reader)).statusCode).toBe(403);
    const status = await gateway.rampart.app.inject({ method: 'GET', url: '/api/v1/messages/00000000-0000-4000-8000-000000000000', headers: { authorization: `Bearer ${sender}` } });
    expect(status.statusCode).toBe(403);
  });

  it('names the invalid field without echoing the value, and stores nothing', async () => {
    const before = await countRows();
    const badPhone = await send(text('+49 not a number 555'));
    expect(badPhone.statusCode).toBe(400);
    expect(badPhone.body).toContain('to');
    expect(badPhone.body).not.toContain('not a number');
    const badType = await send({ to: CUSTOMER, type: 'text', text: { body: '' } });
    expect(badType.statusCode).toBe(400);
    expect(badType.json().message).toMatch(/text\.body/);
    const extra = await send({ ...text(CUSTOMER), surprise: true });
    expect(extra.statusCode).toBe(400);
    expect(await countRows()).toEqual(before);
  });

  it('refuses a free-form message outside the 24-hour window with 409 before storing anything', async () => {
    const before = await countRows();
    const response = await send(text(STRANGER));
    expect(response.statusCode).toBe(409);
    expect(response.json().code).toBe('WINDOW_CLOSED');
    expect(response.json().message).toMatch(/template/);
    expect(await countRows()).toEqual(before);
  });

  it('queues a message inside the window: 202, encrypted at rest, one job, status queued', async () => {
    const body = 'Parcel 7 leaves the depot today';
    const response = await send(text(CUSTOMER, body));
    expect(response.statusCode).toBe(202);
    const { id, status } = response.json() as { id: string; status: string };
    expect(status).toBe('queued');
    const row = await gateway.rampart.database.db.selectFrom('outbound_messages').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    expect(row.content_enc.includes(Buffer.from(body))).toBe(false);
    expect(row.content_enc.includes(Buffer.from(CUSTOMER.slice(1)))).toBe(false);
    const jobs = await gateway.rampart.database.db.selectFrom('outbox_jobs').selectAll().where('subject_id', '=', id).execute();
    expect(jobs).toHaveLength(1);
    const read = await gateway.rampart.app.inject({ method: 'GET', url: `/api/v1/messages/${id}`, headers: { authorization: `Bearer ${reader}` } });
    expect(read.statusCode).toBe(200);
    expect(read.json()).toMatchObject({ id, status: 'queued', type: 'text', error: null, sentAt: null });
  });

  it('answers a retried call with the same Idempotency-Key with the first answer, once stored', async () => {
    const headers = { 'idempotency-key': 'order-42-shipped' };
    const answers = await Promise.all([1, 2, 3, 4, 5].map(() => send(text(CUSTOMER, 'Order 42 shipped'), sender, headers)));
    expect(answers.map((answer) => answer.statusCode)).toEqual([202, 202, 202, 202, 202]);
    expect(new Set(answers.map((answer) => answer.json().id)).size).toBe(1);
    const stored = await gateway.rampart.database.db.selectFrom('outbound_messages').select('id').where('id', '=', answers[0]!.json().id).execute();
    expect(stored).toHaveLength(1);
    expect(answers.filter((answer) => answer.headers['idempotent-replayed'] === 'true')).toHaveLength(4);
    const reused = await send(text(CUSTOMER, 'Something else'), sender, headers);
    expect(reused.statusCode).toBe(422);
    expect(reused.json().code).toBe('IDEMPOTENCY_KEY_REUSED');
  });

  it('refuses a template that may be marketing to a customer who opted out', async () => {
    const template = { to: CUSTOMER, type: 'template', template: { name: 'spring_sale', language: { code: 'en_US' } } };
    expect((await send(template)).statusCode).toBe(202);
    const contact = await gateway.rampart.reader.findContactByPhone(CUSTOMER);
    await recordConsentChange(gateway.rampart.database.db, { contactId: contact!.id, purpose: 'marketing', action: 'opt-out', source: 'keyword', occurredAt: Date.now() }, Date.now());
    const refused = await send(template);
    expect(refused.statusCode).toBe(409);
    expect(refused.json().code).toBe('RECIPIENT_OPTED_OUT');
  });

  it('refuses a template whose parameters carry a card number or an unverified link, naming the fix and not the value', async () => {
    // A customer of its own: another test opts CUSTOMER out of marketing.
    const withParameter = (text: string) => ({
      to: '+15550104477',
      type: 'template',
      template: { name: 'order_update', language: { code: 'en_US' }, components: [{ type: 'body', parameters: [{ type: 'text', text }] }] },
    });
    for (const text of ['card 4111 1111 1111 1111', 'pay at https://evil.example/pay']) {
      const refused = await send(withParameter(text));
      expect(refused.statusCode, text).toBe(422);
      expect(refused.json().code).toBe('TEMPLATE_CONTENT_REFUSED');
      expect(refused.json().message).toMatch(/Fix:/);
      expect(refused.body).not.toContain('4111 1111');
    }
    const clean = await send(withParameter('order 5521, arriving Tuesday'));
    expect(clean.statusCode).toBe(202);
  });

  it('answers 404 for an unknown message and 400 for a malformed id', async () => {
    const get = (id: string) => gateway.rampart.app.inject({ method: 'GET', url: `/api/v1/messages/${id}`, headers: { authorization: `Bearer ${reader}` } });
    expect((await get('00000000-0000-4000-8000-000000000000')).statusCode).toBe(404);
    expect((await get('1%27%20or%201=1')).statusCode).toBe(400);
  });

  it('documents the API as OpenAPI at /api/docs', async () => {
    const spec = await gateway.rampart.app.inject({ method: 'GET', url: '/api/docs/json' });
    expect(spec.statusCode).toBe(200);
    const document = spec.json() as { openapi: string; paths: Record<string, unknown> };
    expect(document.openapi).toMatch(/^3\./);
    expect(Object.keys(document.paths)).toEqual(expect.arrayContaining(['/api/v1/messages', '/api/v1/messages/{id}']));
    const page = await gateway.rampart.app.inject({ method: 'GET', url: '/api/docs' });
    expect(page.statusCode).toBe(200);
    // Scripts only from Rampart itself: the docs page talks to no third party.
    expect(page.headers['content-security-policy']).toContain("script-src 'self';");
    expect(page.headers['content-security-policy']).not.toMatch(/https:|swagger\.io/);
  });
});

describe('API route registration', () => {
  it('fails to register an /api/v1 route that declares no scope', async () => {
    const app = Fastify();
    const apiKeys = { authenticate: async () => null } as never;
    await expect(
      registerApi(app, {
        apiKeys,
        version: '0.0.0',
        registerRoutes: async (api) => {
          api.get('/api/v1/unguarded', async () => ({ leaked: true }));
        },
      }).then(() => app.ready()),
    ).rejects.toThrow(/declares no scope/);
  });
});
