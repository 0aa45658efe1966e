import { afterEach, describe, expect, it } from 'vitest';
import { parseWebhookPayload } from '../../src/ingress/webhook-schema.js';
import type { CustomerAction } from '../../src/sandbox/customer-simulator.js';
import { createManualClock, createTestEmulator, wamidOf } from './support/emulator-fixture.js';
import type { TestEmulator } from './support/emulator-fixture.js';
import { startWebhookReceiver } from './support/webhook-receiver.js';
import type { WebhookReceiver } from './support/webhook-receiver.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function setUp(options: Parameters<typeof createTestEmulator>[0] = {}): Promise<{ test: TestEmulator; hook: WebhookReceiver }> {
  const hook = await startWebhookReceiver();
  const test = await createTestEmulator({ webhookUrl: hook.url, windowViolation: 'error-response', ...options });
  cleanups.push(async () => {
    await test.emulator.close();
    await hook.close();
  });
  return { test, hook };
}

function messagesValue(hook: WebhookReceiver, index = 0) {
  return hook.received[index]!.json.entry[0]!.changes[0]!.value as {
    metadata: { display_phone_number: string; phone_number_id: string };
    contacts: { profile: { name: string }; wa_id: string }[];
    messages: Record<string, unknown>[];
  };
}

describe('a customer writing', () => {
  it('arrives as a Meta messages webhook the ingress schema accepts', async () => {
    const clock = createManualClock(Date.UTC(2026, 2, 1, 9, 30, 15, 600));
    const { test, hook } = await setUp({ clock });
    const { wamid, delivery } = await test.emulator.say({ from: '+49 151 1234 5678', name: 'Ada', text: 'Where is my order?' });
    expect(delivery.isAcknowledged).toBe(true);
    const webhook = hook.received[0]!.json;
    expect(parseWebhookPayload(webhook).ok).toBe(true);
    expect(webhook).toMatchObject({ object: 'whatsapp_business_account', entry: [{ id: test.emulator.wabaId, changes: [{ field: 'messages' }] }] });
    const value = messagesValue(hook);
    expect(value.metadata).toEqual({ display_phone_number: test.emulator.displayPhoneNumber, phone_number_id: test.emulator.phoneNumberId });
    expect(value.contacts).toEqual([{ profile: { name: 'Ada' }, wa_id: '4915112345678' }]);
    expect(value.messages).toEqual([
      { from: '4915112345678', id: wamid, timestamp: String(Math.floor(clock.now() / 1000)), type: 'text', text: { body: 'Where is my order?' } },
    ]);
    expect(wamid).toMatch(/^wamid\.[A-Za-z0-9+/]+=*$/);
  });

  it('remembers the profile name for later messages', async () => {
    const { test, hook } = await setUp();
    await test.emulator.say({ from: '4915112345678', name: 'Ada', text: 'one' });
    await test.emulator.say({ from: '4915112345678', text: 'two' });
    expect(messagesValue(hook, 1).contacts[0]?.profile.name).toBe('Ada');
  });

  it('opens the window, so the business may answer free-form', async () => {
    const { test } = await setUp();
    expect((await test.send({ to: '4915112345678', text: { body: 'hello?' } })).body.error?.code).toBe(131047);
    await test.emulator.say({ from: '4915112345678', text: 'hi' });
    expect((await test.send({ to: '4915112345678', text: { body: 'hello!' } })).status).toBe(200);
  });

  it('reports the first delivery outcome when the gateway refuses', async () => {
    const { test, hook } = await setUp();
    hook.respondWith(() => 401);
    const { delivery } = await test.emulator.say({ from: '4915112345678', text: 'x' });
    expect(delivery).toEqual({ status: 401, isAcknowledged: false });
  });

  it.each([
    ['a number of 7 digits', { from: '1234567', text: 'x' }],
    ['letters', { from: 'ada', text: 'x' }],
    ['an empty text', { from: '4915112345678', text: '' }],
    ['text and a reply at once', { from: '4915112345678', text: 'x', reply: { type: 'button_reply', id: 'a', title: 'A' } }],
  ])('refuses %s', async (_case, action) => {
    const { test, hook } = await setUp();
    await expect(test.emulator.say(action as CustomerAction)).rejects.toThrow();
    const answer = await test.control('POST', '/sandbox/say', action);
    expect(answer.status).toBe(400);
    expect(hook.received).toHaveLength(0);
  });
});

describe('replies to interactive messages', () => {
  it('sends a button reply with the business message as context, and shows both directions in the conversation', async () => {
    const { test, hook } = await setUp();
    await test.emulator.say({ from: '4915112345678', name: 'Ada', text: 'Can I change my slot?' });
    const question = wamidOf(
      await test.send({
        to: '4915112345678',
        type: 'interactive',
        interactive: { type: 'button', body: { text: 'Keep Tuesday?' }, action: { buttons: [{ type: 'reply', reply: { id: 'keep', title: 'Keep' } }, { type: 'reply', reply: { id: 'move', title: 'Move' } }] } },
      }),
    );
    const answer = await test.control('POST', '/sandbox/say', { from: '4915112345678', reply: { type: 'button_reply', id: 'move', title: 'Move', messageId: question } });
    expect(answer.status).toBe(200);
    expect(answer.body.delivery).toEqual({ status: 200, isAcknowledged: true });
    await test.emulator.waitForIdle();
    const reply = hook.received.map((webhook) => webhook.json.entry[0]!.changes[0]!.value.messages as Record<string, unknown>[] | undefined).filter(Boolean).at(-1)![0];
    expect(reply).toMatchObject({
      context: { from: test.emulator.displayPhoneNumber, id: question },
      type: 'interactive',
      interactive: { type: 'button_reply', button_reply: { id: 'move', title: 'Move' } },
    });
    expect(parseWebhookPayload(hook.received.at(-1)!.json).ok).toBe(true);

    const view = await test.control('GET', '/sandbox/conversations/+4915112345678');
    expect(view.body).toMatchObject({
      waId: '4915112345678',
      name: 'Ada',
      messages: [
        { direction: 'inbound', content: { kind: 'text', text: 'Can I change my slot?' } },
        { direction: 'outbound', wamid: question, status: 'read', content: { kind: 'buttons', text: 'Keep Tuesday?', buttons: [{ id: 'keep', title: 'Keep' }, { id: 'move', title: 'Move' }] } },
        { direction: 'inbound', contextId: question, content: { kind: 'reply', replyType: 'button_reply', id: 'move', title: 'Move' } },
      ],
    });
  });

  it('sends a list reply with its description', async () => {
    const { test, hook } = await setUp();
    await test.emulator.say({ from: '4915112345678', reply: { type: 'list_reply', id: 'slot-2', title: 'Tuesday 10:00', description: 'Main office' } });
    expect(messagesValue(hook).messages[0]).toMatchObject({ type: 'interactive', interactive: { type: 'list_reply', list_reply: { id: 'slot-2', title: 'Tuesday 10:00', description: 'Main office' } } });
  });
});

describe('inspection routes', () => {
  it('lists what the business sent, optionally to one recipient', async () => {
    const { test } = await setUp();
    await test.emulator.say({ from: '4915111111111', text: 'hi' });
    await test.emulator.say({ from: '4915122222222', text: 'hi' });
    await test.send({ to: '4915111111111', text: { body: 'to Ada' } });
    await test.send({ to: '4915122222222', text: { body: 'to Bob' } });
    expect(((await test.control('GET', '/sandbox/messages')).body.data as unknown[]).length).toBe(2);
    expect((await test.control('GET', '/sandbox/messages?to=4915122222222')).body.data).toMatchObject([{ waId: '4915122222222', content: { text: 'to Bob' } }]);
  });

  it('answers 404 for a number nobody wrote to', async () => {
    const { test } = await setUp();
    expect((await test.control('GET', '/sandbox/conversations/4915199999999')).status).toBe(404);
  });

  it('reports delivery statistics', async () => {
    const { test } = await setUp();
    await test.emulator.say({ from: '4915111111111', text: 'hi' });
    expect((await test.control('GET', '/sandbox/deliveries')).body).toMatchObject({ attempts: 1, delivered: 1, pending: 0 });
  });
});
