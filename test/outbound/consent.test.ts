import { afterEach, describe, expect, it } from 'vitest';
import { dialects, missingPostgresMessage, postgresUrl } from '../support/databases.js';
import type { TestDatabase } from '../support/databases.js';
import { serialiseLikeMeta, textMessagePayload } from '../support/payloads.js';
import { noteSkippedWhen } from '../support/skip-notice.js';
import { startTestGateway } from '../support/test-gateway.js';
import type { TestGateway } from '../support/test-gateway.js';

const PHONE_NUMBER_ID = '106540352242922';
const CUSTOMER = '4915112345678';

for (const dialect of dialects) {
  describe.skipIf(!dialect.isAvailable)(`consent from inbound events on ${dialect.name}`, () => {
    let database: TestDatabase;
    let gateway: TestGateway;

    afterEach(async () => {
      await gateway.close();
      await database.drop();
    });

    async function start() {
      database = await dialect.create();
      gateway = await startTestGateway(database, {
        runWorkers: false,
        overrides: { WHATSAPP_ACCESS_TOKEN: 'test-token', WHATSAPP_PHONE_NUMBER_ID: PHONE_NUMBER_ID, WHATSAPP_GRAPH_URL: 'https://127.0.0.1:9' },
      });
    }
    const sayFromCustomer = (wamid: string, body: string, secondsAgo = 10) =>
      gateway.post(serialiseLikeMeta(textMessagePayload([{ wamid, from: CUSTOMER, body, timestamp: Math.floor(Date.now() / 1000) - secondsAgo }], PHONE_NUMBER_ID)));
    const ledger = async () => {
      const contact = await gateway.rampart.reader.findContactByPhone(`+${CUSTOMER}`);
      const rows = await gateway.rampart.database.db.selectFrom('consent_events').selectAll().where('contact_id', '=', contact!.id).orderBy('occurred_at').execute();
      return rows.map((row) => [row.action, row.source, row.purpose]);
    };
    const sendTemplate = async () => {
      const { key } = await gateway.rampart.apiKeys.createApiKey('marketing', ['messages:send']);
      return gateway.rampart.app.inject({
        method: 'POST',
        url: '/api/v1/messages',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        payload: { to: `+${CUSTOMER}`, type: 'template', template: { name: 'spring_sale', language: { code: 'en_US' } } },
      });
    };

    it('records a STOP once however often Meta delivers it, confirms it, and refuses marketing afterwards', async () => {
      await start();
      for (let delivery = 0; delivery < 3; delivery += 1) expect((await sayFromCustomer('wamid.stop-1', ' Stop! ')).status).toBe(200);
      expect(await ledger()).toEqual([['opt-out', 'keyword', 'marketing']]);

      const replies = await gateway.rampart.database.db.selectFrom('outbound_messages').selectAll().execute();
      expect(replies).toHaveLength(1);
      // Rampart's own reply (no API key), sealed like any message, with its send job.
      expect(replies[0]).toMatchObject({ type: 'text', api_key_id: null, state: 'queued' });
      expect(replies[0]!.content_enc.includes(Buffer.from('START'))).toBe(false);
      const jobs = await gateway.rampart.database.db.selectFrom('outbox_jobs').selectAll().where('subject_id', '=', replies[0]!.id).execute();
      expect(jobs).toHaveLength(1);

      const refused = await sendTemplate();
      expect(refused.statusCode).toBe(409);
      expect(refused.json().code).toBe('RECIPIENT_OPTED_OUT');
    });

    it('takes START back, and ignores sentences that merely contain the word', async () => {
      await start();
      await sayFromCustomer('wamid.a', 'STOP', 30);
      await sayFromCustomer('wamid.b', "please don't stop the music", 20);
      await sayFromCustomer('wamid.c', 'start', 10);
      expect(await ledger()).toEqual([
        ['opt-out', 'keyword', 'marketing'],
        ['opt-in', 'keyword', 'marketing'],
      ]);
      expect((await sendTemplate()).statusCode).toBe(202);
    });

    it('records the user_preferences webhook (stopped in WhatsApp itself) as an opt-out', async () => {
      await start();
      await sayFromCustomer('wamid.hello', 'hello');
      const body = serialiseLikeMeta({
        object: 'whatsapp_business_account',
        entry: [
          {
            id: '102290129340398',
            changes: [
              {
                field: 'user_preferences',
                value: {
                  messaging_product: 'whatsapp',
                  metadata: { display_phone_number: '15550783881', phone_number_id: PHONE_NUMBER_ID },
                  contacts: [{ profile: { name: 'Ann' }, wa_id: CUSTOMER }],
                  user_preferences: [{ wa_id: CUSTOMER, detail: 'User requested to stop marketing messages', category: 'marketing_messages', value: 'stop', timestamp: Math.floor(Date.now() / 1000) }],
                },
              },
            ],
          },
        ],
      });
      expect((await gateway.post(body)).status).toBe(200);
      expect(await ledger()).toEqual([['opt-out', 'webhook', 'marketing']]);
      expect((await sendTemplate()).statusCode).toBe(409);
    });
  });
}

noteSkippedWhen(postgresUrl === undefined, 'consent from inbound events on postgres', missingPostgresMessage);
