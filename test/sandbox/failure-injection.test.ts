import { afterEach, describe, expect, it } from 'vitest';
import { startCloudApiEmulator } from '../../src/sandbox/cloud-api-emulator.js';
import { ACCESS_TOKEN, PHONE_NUMBER_ID, VERSION, createTestEmulator, fastTiming, templateTo, wamidOf } from './support/emulator-fixture.js';
import type { TestEmulator } from './support/emulator-fixture.js';
import { startWebhookReceiver } from './support/webhook-receiver.js';
import type { WebhookReceiver } from './support/webhook-receiver.js';

const ADA = '4915111111111';
const BOB = '4915122222222';
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function setUp(): Promise<{ test: TestEmulator; hook: WebhookReceiver }> {
  const hook = await startWebhookReceiver();
  const test = await createTestEmulator({ webhookUrl: hook.url });
  cleanups.push(async () => {
    await test.emulator.close();
    await hook.close();
  });
  return { test, hook };
}

describe('failures in the response', () => {
  it('fails the next two sends to one recipient with 131000 (HTTP 500), leaving others and later sends alone', async () => {
    const { test } = await setUp();
    test.emulator.injectFailure({ mode: 'response', code: 131000, count: 2, recipient: `+${ADA}` });
    const bob = await test.send(templateTo(BOB));
    const [first, second, third] = [await test.send(templateTo(ADA)), await test.send(templateTo(ADA)), await test.send(templateTo(ADA))];
    expect(bob.status).toBe(200);
    expect([first.status, second.status, third.status]).toEqual([500, 500, 200]);
    expect(first.body.error).toMatchObject({ code: 131000, message: '(#131000) Something went wrong', error_data: { messaging_product: 'whatsapp' } });
    expect(test.emulator.sentMessages(ADA)).toHaveLength(1);
  });

  it.each([
    [1, 500],
    [2, 503],
    [131016, 503],
    [130429, 400],
    [131048, 400],
  ])('answers injected code %i with HTTP %i', async (code, httpStatus) => {
    const { test } = await setUp();
    test.emulator.injectFailure({ mode: 'response', code });
    const answer = await test.send(templateTo(ADA));
    expect(answer.status).toBe(httpStatus);
    expect(answer.body.error?.code).toBe(code);
  });

  it('lets the HTTP status be chosen', async () => {
    const { test } = await setUp();
    test.emulator.injectFailure({ mode: 'response', code: 131000, httpStatus: 502, details: 'upstream hiccup' });
    const answer = await test.send(templateTo(ADA));
    expect(answer.status).toBe(502);
    expect(answer.body.error?.error_data.details).toBe('upstream hiccup');
  });

  it('does not spend an injected failure on a request that is invalid anyway', async () => {
    const { test } = await setUp();
    test.emulator.injectFailure({ mode: 'response', code: 131000 });
    expect((await test.send({ to: ADA, type: 'text', text: {} })).body.error?.code).toBe(100);
    expect((await test.send(templateTo(ADA))).body.error?.code).toBe(131000);
  });
});

describe('failures as status webhooks', () => {
  it('are not spent on a send refused by a rate limit', async () => {
    const hook = await startWebhookReceiver();
    const test = await createTestEmulator({ webhookUrl: hook.url, pairRateLimit: { burst: 1, refillEveryMs: 60_000 } });
    cleanups.push(async () => {
      await test.emulator.close();
      await hook.close();
    });
    expect((await test.send(templateTo(ADA))).status).toBe(200);
    test.emulator.injectFailure({ mode: 'status', code: 131026 });
    expect((await test.send(templateTo(ADA))).body.error?.code).toBe(131056);
    expect(test.emulator.sentMessages(ADA)).toHaveLength(1);
    const bob = wamidOf(await test.send(templateTo(BOB)));
    await test.emulator.waitForIdle();
    expect(hook.statuses().filter((status) => status.id === bob).map((status) => status.status)).toEqual(['failed']);
  });

  it('accepts the send, then reports failed with the injected code instead of sent/delivered/read', async () => {
    const { test, hook } = await setUp();
    test.emulator.injectFailure({ mode: 'status', code: 131026 });
    const answer = await test.send(templateTo(ADA));
    expect(answer.status).toBe(200);
    await test.emulator.waitForIdle();
    const statuses = hook.statuses().filter((status) => status.id === wamidOf(answer));
    expect(statuses).toEqual([
      {
        id: wamidOf(answer),
        status: 'failed',
        timestamp: expect.stringMatching(/^\d{10}$/),
        recipient_id: ADA,
        errors: [{ code: 131026, title: 'Message undeliverable', message: 'Message undeliverable', error_data: { details: 'Message Undeliverable.' }, href: expect.any(String) }],
      },
    ]);
  });
});

describe('the control route', () => {
  it('queues a failure given the control token and refuses one without it', async () => {
    const { test } = await setUp();
    expect((await test.control('POST', '/sandbox/failures', { mode: 'response', code: 2 }, null)).status).toBe(401);
    expect((await test.control('POST', '/sandbox/failures', { mode: 'response', code: 2 }, 'wrong')).status).toBe(401);
    expect((await test.send(templateTo(ADA))).status).toBe(200);
    const queued = await test.control('POST', '/sandbox/failures', { mode: 'response', code: 2, count: 1 });
    expect(queued.status).toBe(201);
    expect((await test.control('GET', '/sandbox/failures')).body.data).toHaveLength(1);
    expect((await test.send(templateTo(ADA))).status).toBe(503);
    expect((await test.control('GET', '/sandbox/failures')).body.data).toHaveLength(0);
  });

  it.each([
    ['a response failure without a code', { mode: 'response' }],
    ['an unknown mode', { mode: 'explode', code: 1 }],
    ['a recipient that is not a number', { mode: 'status', code: 131026, recipient: 'ada' }],
    ['an unknown key', { mode: 'drop', when: 'always' }],
  ])('refuses %s with 400', async (_case, rule) => {
    const { test } = await setUp();
    expect((await test.control('POST', '/sandbox/failures', rule)).status).toBe(400);
  });

  it('clears queued failures', async () => {
    const { test } = await setUp();
    test.emulator.injectFailure({ mode: 'response', code: 1, count: 5 });
    expect((await test.control('DELETE', '/sandbox/failures')).status).toBe(200);
    expect((await test.send(templateTo(ADA))).status).toBe(200);
  });
});

describe('dropped connections', () => {
  async function listeningEmulator() {
    const emulator = await startCloudApiEmulator({ accessToken: ACCESS_TOKEN, ...fastTiming });
    cleanups.push(() => emulator.close());
    const send = () =>
      fetch(`${emulator.url()}/${VERSION}/${PHONE_NUMBER_ID}/messages`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ACCESS_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ messaging_product: 'whatsapp', ...templateTo(ADA) }),
      });
    return { emulator, send };
  }

  it('drops the connection without accepting the message', async () => {
    const { emulator, send } = await listeningEmulator();
    emulator.injectFailure({ mode: 'drop' });
    await expect(send()).rejects.toThrow();
    expect(emulator.sentMessages()).toHaveLength(0);
    expect((await send()).status).toBe(200);
  });

  it('can drop the connection after accepting, so the sender cannot tell', async () => {
    const { emulator, send } = await listeningEmulator();
    emulator.injectFailure({ mode: 'drop', isAcceptedBeforeDrop: true });
    await expect(send()).rejects.toThrow();
    expect(emulator.sentMessages(ADA)).toHaveLength(1);
  });
});
