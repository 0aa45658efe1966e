import { afterEach, describe, expect, it } from 'vitest';
import { parseWebhookPayload } from '../../src/ingress/webhook-schema.js';
import { createTestEmulator, templateTo, textTo, wamidOf } from './support/emulator-fixture.js';
import type { TestEmulator } from './support/emulator-fixture.js';
import { startWebhookReceiver } from './support/webhook-receiver.js';
import type { StatusJson, WebhookReceiver } from './support/webhook-receiver.js';

const CUSTOMER = '4915112345678';
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function setUp(options: Parameters<typeof createTestEmulator>[0] = {}): Promise<{ test: TestEmulator; hook: WebhookReceiver }> {
  const hook = await startWebhookReceiver();
  // One webhook in flight at a time: arrival order is then emission order, free of network jitter.
  const test = await createTestEmulator({
    webhookUrl: hook.url,
    statusDelaysMs: { sent: 10, delivered: 50, read: 90 },
    pairRateLimit: { burst: 1_000 },
    maxConcurrentWebhooks: 1,
    ...options,
  });
  cleanups.push(async () => {
    await test.emulator.close();
    await hook.close();
  });
  return { test, hook };
}

function statusesOf(hook: WebhookReceiver, wamid: string): StatusJson[] {
  return hook.statuses().filter((status) => status.id === wamid);
}

describe('status webhooks without chaos', () => {
  it('sends sent, delivered, read in that order, once each, with conversation and pricing as Meta does', async () => {
    const { test, hook } = await setUp();
    await test.emulator.say({ from: CUSTOMER, text: 'hi' });
    const wamid = wamidOf(await test.send({ ...textTo(CUSTOMER), biz_opaque_callback_data: 'ticket-7' }));
    await test.emulator.waitForIdle();
    const statuses = statusesOf(hook, wamid);
    expect(statuses.map((status) => status.status)).toEqual(['sent', 'delivered', 'read']);
    const [sent, delivered, read] = statuses;
    expect(sent).toMatchObject({
      recipient_id: CUSTOMER,
      biz_opaque_callback_data: 'ticket-7',
      conversation: { origin: { type: 'service' } },
      pricing: { billable: false, pricing_model: 'PMP', category: 'service', type: 'free_customer_service' },
    });
    expect(sent?.conversation?.expiration_timestamp).toMatch(/^\d{10}$/);
    expect(delivered?.conversation?.id).toBe(sent?.conversation?.id);
    expect(delivered?.conversation?.expiration_timestamp).toBeUndefined();
    expect(read?.pricing).toBeUndefined();
    expect(Number(sent!.timestamp)).toBeLessThanOrEqual(Number(read!.timestamp));
    for (const webhook of hook.received) expect(parseWebhookPayload(webhook.json).ok).toBe(true);
    expect(test.emulator.sentMessages(CUSTOMER)[0]).toMatchObject({ wamid, status: 'read' });
  });

  it('bills a template by its category', async () => {
    const { test, hook } = await setUp();
    const wamid = wamidOf(await test.send(templateTo(CUSTOMER, 'order_update', ['Ada', 'A-1'])));
    await test.emulator.waitForIdle();
    expect(statusesOf(hook, wamid)[0]).toMatchObject({ status: 'sent', pricing: { billable: true, category: 'utility', type: 'regular' }, conversation: { origin: { type: 'utility' } } });
  });

  it('stops at delivered when the customer never reads', async () => {
    const { test, hook } = await setUp({ statusDelaysMs: { sent: 5, delivered: 10, read: null } });
    const wamid = wamidOf(await test.send(templateTo(CUSTOMER)));
    await test.emulator.waitForIdle();
    expect(statusesOf(hook, wamid).map((status) => status.status).sort()).toEqual(['delivered', 'sent']);
  });
});

interface ChaosOutcome {
  duplicated: number;
  reordered: number;
  isComplete: boolean;
}

async function runChaos(seed: number): Promise<ChaosOutcome> {
  const { test, hook } = await setUp({ chaos: { duplicateProbability: 0.3, reorderProbability: 0.3, seed } });
  const answers = [];
  for (let index = 0; index < 20; index += 1) answers.push(await test.send(templateTo(CUSTOMER)));
  await test.emulator.waitForIdle();
  const outcome = { duplicated: 0, reordered: 0, isComplete: true };
  for (const wamid of answers.map(wamidOf)) {
    const arrived = statusesOf(hook, wamid).map((status) => status.status);
    const distinct = [...new Set(arrived)];
    if (arrived.length > distinct.length) outcome.duplicated += 1;
    if (distinct.join() !== 'sent,delivered,read') outcome.reordered += 1;
    if (distinct.length !== 3) outcome.isComplete = false;
  }
  return outcome;
}

describe('status webhooks with chaos', () => {
  it('duplicates and reorders some statuses, still delivering every status at least once', async () => {
    const outcome = await runChaos(7);
    expect(outcome.isComplete).toBe(true);
    expect(outcome.duplicated).toBeGreaterThan(0);
    expect(outcome.reordered).toBeGreaterThan(0);
    expect(outcome.duplicated).toBeLessThan(20);
    expect(outcome.reordered).toBeLessThan(20);
  });

  it('is reproducible with the same seed', async () => {
    const [first, second] = [await runChaos(42), await runChaos(42)];
    expect(second).toEqual(first);
  });

  it('keeps a message at its highest status whatever order the webhooks left in', async () => {
    // Every message has two statuses swapped; over ten, delivered arrives after read for some.
    const { test, hook } = await setUp({ chaos: { duplicateProbability: 0, reorderProbability: 1, seed: 3 } });
    const wamids = [];
    for (let index = 0; index < 10; index += 1) wamids.push(wamidOf(await test.send(templateTo(CUSTOMER))));
    await test.emulator.waitForIdle();
    const lateDelivered = wamids.filter((wamid) => statusesOf(hook, wamid).map((status) => status.status).join() === 'sent,read,delivered');
    expect(lateDelivered.length).toBeGreaterThan(0);
    for (const message of test.emulator.sentMessages(CUSTOMER)) expect(message).toMatchObject({ status: 'read' });
  });
});
