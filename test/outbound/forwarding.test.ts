import { Webhook } from 'standardwebhooks';
import { afterEach, describe, expect, it } from 'vitest';
import { generateWebhookSecret } from '../../src/forwarding/webhook-secret.js';
import { createSqliteDatabase } from '../support/databases.js';
import type { TestDatabase } from '../support/databases.js';
import { startTestReceiver } from '../support/forwarding-receiver.js';
import type { TestReceiver } from '../support/forwarding-receiver.js';
import { serialiseLikeMeta, statusPayload, textMessagePayload } from '../support/payloads.js';
import { startTestGateway } from '../support/test-gateway.js';
import type { TestGateway } from '../support/test-gateway.js';

async function waitFor<T>(probe: () => T | undefined, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('forwarding to internal services', () => {
  let database: TestDatabase;
  let gateway: TestGateway;
  let receiver: TestReceiver;

  afterEach(async () => {
    await gateway.close();
    await receiver.close();
    await database.drop();
  });

  async function start(respond?: Parameters<typeof startTestReceiver>[0]) {
    receiver = await startTestReceiver(respond);
    database = await createSqliteDatabase();
    const secret = generateWebhookSecret().reveal();
    gateway = await startTestGateway(database, {
      overrides: {
        RAMPART_FORWARD_ENDPOINTS: JSON.stringify([{ name: 'crm', url: `http://127.0.0.1:${receiver.port}/hooks`, allowHttp: true, secret }]),
        RAMPART_FORWARD_ALLOWED_HOSTS: '127.0.0.1',
      },
    });
    return secret;
  }

  it('forwards an inbound message signed so the standardwebhooks reference verifies it, with the decrypted content', async () => {
    const secret = await start();
    const wamid = 'wamid.forward-1';
    const body = 'Ich möchte meine Bestellung ändern 📦';
    expect((await gateway.post(serialiseLikeMeta(textMessagePayload([{ wamid, from: '4915112345678', name: 'Anna', body }])))).status).toBe(200);
    const request = await waitFor(() => receiver.requests[0], 5_000);
    const verified = new Webhook(secret).verify(request.body.toString('utf8'), request.headers as Record<string, string>) as {
      type: string;
      data: { wamid: string; from: string; profileName: string; message: { text: { body: string } }; messageId: string };
    };
    expect(verified.type).toBe('message.received');
    expect(verified.data).toMatchObject({ wamid, from: '+4915112345678', profileName: 'Anna', message: { text: { body } } });
    expect(request.headers['webhook-id']).toBe(`msg_${verified.data.messageId}`);
    expect(() => new Webhook(generateWebhookSecret().reveal()).verify(request.body.toString('utf8'), request.headers as Record<string, string>)).toThrow();
  });

  it('forwards each stored status once, and a duplicate webhook forwards nothing more', async () => {
    await start();
    const statuses = serialiseLikeMeta(statusPayload([{ wamid: 'wamid.out-1', status: 'delivered', recipient: '4915112345678' }]));
    for (let delivery = 0; delivery < 3; delivery += 1) expect((await gateway.post(statuses)).status).toBe(200);
    await waitFor(() => receiver.requests[0], 5_000);
    await new Promise((resolve) => setTimeout(resolve, 700));
    expect(receiver.requests).toHaveLength(1);
    const event = JSON.parse(receiver.requests[0]!.body.toString('utf8')) as { type: string; data: { status: string; recipient: string } };
    expect(event).toMatchObject({ type: 'message.status', data: { status: 'delivered', recipient: '+4915112345678' } });
  });

  it('keeps an event through a downstream outage and delivers it when the service is back', async () => {
    let isDown = true;
    await start((_request, response) => {
      response.statusCode = isDown ? 503 : 200;
      response.end();
    });
    await gateway.post(serialiseLikeMeta(textMessagePayload([{ wamid: 'wamid.outage', from: '4915112345678', body: 'hello' }])));
    await waitFor(() => receiver.requests[0], 5_000);
    const job = await gateway.rampart.database.db.selectFrom('outbox_jobs').selectAll().where('kind', '=', 'forward-event').executeTakeFirstOrThrow();
    expect(job).toMatchObject({ state: 'pending', attempts: 1 });
    expect(job.last_error).toMatch(/503/);
    isDown = false;
    // Due no earlier than the schedule's first delay (5 s); pull it in rather than wait.
    await gateway.rampart.database.db.updateTable('outbox_jobs').set({ run_at: Date.now() }).where('id', '=', job.id).execute();
    gateway.rampart.worker!.wake();
    await waitFor(() => receiver.requests[1], 5_000);
    const done = await waitForState(gateway, job.id, 'done');
    expect(done).toBe(true);
    expect(receiver.requests[1]!.headers['webhook-id']).toBe(receiver.requests[0]!.headers['webhook-id']);
  });
});

async function waitForState(gateway: TestGateway, jobId: string, state: string): Promise<boolean> {
  const deadline = Date.now() + 5_000;
  while (Date.now() < deadline) {
    const row = await gateway.rampart.database.db.selectFrom('outbox_jobs').select('state').where('id', '=', jobId).executeTakeFirstOrThrow();
    if (row.state === state) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}
