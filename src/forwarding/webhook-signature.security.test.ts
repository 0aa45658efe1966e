/**
 * Pins: what Rampart sends verifies with the Standard Webhooks reference library
 * (`standardwebhooks`), captured from a real HTTP exchange; during a rotation a receiver holding
 * either secret verifies; any other secret, and any change to body, timestamp or id, fails.
 * Leaks guarded: receivers accepting forged or replayed events; a rotation that locks them out.
 */
import fc from 'fast-check';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Clock } from '../clock.js';
import type { Secret } from '../config/secret.js';
import { createForwarder } from './forwarder.js';
import type { ForwarderOptions } from './forwarder.js';
import { createCapturingLogger, startTestReceiver } from '../../test/support/forwarding-receiver.js';
import type { CapturedRequest, TestReceiver } from '../../test/support/forwarding-receiver.js';
import { generateWebhookSecret } from './webhook-secret.js';
import { createWebhookHeaders, signWebhookPayload } from './webhook-signature.js';
import type { ForwardingEvent } from './webhook-message.js';

let receiver: TestReceiver;
beforeAll(async () => {
  receiver = await startTestReceiver();
});
afterAll(() => receiver.close());

// The reference library checks timestamps against the real clock, so these deliveries use it too.
const realClock: Clock = { now: () => Date.now() };

const event: ForwardingEvent = {
  id: 'evt_01JDX4Q8V5',
  type: 'message.received',
  timestamp: Date.parse('2026-11-23T09:30:00.000Z'),
  payload: { messageId: 'm-1', text: 'héllo "quoted" \u2028 ✓', nested: { list: [1, 2.5, null, true] } },
};

async function deliverAndCapture(secrets: Secret[], clock: Clock = realClock, overrides: Partial<ForwarderOptions> = {}): Promise<CapturedRequest> {
  const before = receiver.requests.length;
  const forwarder = createForwarder({
    endpoints: [{ name: 'crm', url: `http://receiver.test:${receiver.port}/hooks/rampart`, secrets, eventTypes: ['*'], isHttpAllowed: true }],
    allowedDestinations: ['127.0.0.1'],
    resolveHost: async () => ['127.0.0.1'],
    clock,
    logger: createCapturingLogger().logger,
    ...overrides,
  });
  const [outcome] = await forwarder.deliver(event);
  expect(outcome).toMatchObject({ kind: 'delivered', status: 200 });
  expect(receiver.requests).toHaveLength(before + 1);
  return receiver.requests[before]!;
}

function headersOf(request: CapturedRequest): Record<string, string> {
  return Object.fromEntries(Object.entries(request.headers).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
}

function verifies(secret: Secret, body: string | Buffer, headers: Record<string, string>): boolean {
  try {
    new Webhook(secret.reveal()).verify(body, headers);
    return true;
  } catch {
    return false;
  }
}

describe('Standard Webhooks signatures on real deliveries', () => {
  it('verify with the reference library, and the body is { type, timestamp, data } of the event', async () => {
    const secret = generateWebhookSecret();
    const request = await deliverAndCapture([secret]);
    const parsed = new Webhook(secret.reveal()).verify(request.body, headersOf(request));
    expect(parsed).toEqual({ type: 'message.received', timestamp: '2026-11-23T09:30:00.000Z', data: event.payload });
    expect(request.headers['webhook-id']).toBe(event.id);
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.headers['webhook-timestamp']).toMatch(/^\d{10}$/);
  });

  it('during a rotation carry one signature per secret, so a receiver holding either one verifies', async () => {
    const [oldSecret, newSecret, stranger] = [generateWebhookSecret(), generateWebhookSecret(), generateWebhookSecret()];
    const request = await deliverAndCapture([oldSecret, newSecret]);
    const headers = headersOf(request);
    expect(headers['webhook-signature']?.split(' ')).toHaveLength(2);
    expect(verifies(oldSecret, request.body, headers)).toBe(true);
    expect(verifies(newSecret, request.body, headers)).toBe(true);
    expect(verifies(stranger, request.body, headers)).toBe(false);
  });

  it('fail for a receiver holding any other secret', async () => {
    const request = await deliverAndCapture([generateWebhookSecret()]);
    for (let index = 0; index < 5; index += 1) expect(verifies(generateWebhookSecret(), request.body, headersOf(request))).toBe(false);
  });

  it('fail when the body, the timestamp or the id is changed in transit', async () => {
    const secret = generateWebhookSecret();
    const request = await deliverAndCapture([secret]);
    const headers = headersOf(request);
    const body = request.body.toString('utf8');
    expect(verifies(secret, body, headers)).toBe(true);
    const reserialised = JSON.stringify(JSON.parse(body), null, 1);
    for (const tampered of [body.replace('m-1', 'm-2'), `${body} `, reserialised, body.slice(0, -1)]) {
      expect(verifies(secret, tampered, headers)).toBe(false);
    }
    const timestamp = Number(headers['webhook-timestamp']);
    expect(verifies(secret, body, { ...headers, 'webhook-timestamp': String(timestamp - 1) })).toBe(false);
    expect(verifies(secret, body, { ...headers, 'webhook-timestamp': String(timestamp + 60) })).toBe(false);
    expect(verifies(secret, body, { ...headers, 'webhook-id': `${event.id}x` })).toBe(false);
  });

  it('keep the id and the body across retries and sign each attempt with its own timestamp', async () => {
    const secret = generateWebhookSecret();
    let offsetMs = -120_000;
    const movingClock: Clock = { now: () => Date.now() + offsetMs };
    const first = await deliverAndCapture([secret], movingClock);
    offsetMs = 0;
    const second = await deliverAndCapture([secret], movingClock);
    expect(second.headers['webhook-id']).toBe(first.headers['webhook-id']);
    expect(second.body.equals(first.body)).toBe(true);
    expect(Number(second.headers['webhook-timestamp']) - Number(first.headers['webhook-timestamp'])).toBeGreaterThanOrEqual(119);
    expect(second.headers['webhook-signature']).not.toBe(first.headers['webhook-signature']);
    expect(verifies(secret, first.body, headersOf(first))).toBe(true);
    expect(verifies(secret, second.body, headersOf(second))).toBe(true);
  });

  it('are refused by receivers once the attempt timestamp is older than their tolerance (replay)', async () => {
    const secret = generateWebhookSecret();
    const staleClock: Clock = { now: () => Date.now() - 10 * 60_000 };
    const request = await deliverAndCapture([secret], staleClock);
    expect(verifies(secret, request.body, headersOf(request))).toBe(false);
  });
});

describe('signWebhookPayload against the reference library', () => {
  it('agrees for any key, id, timestamp and body', () => {
    const idArbitrary = fc.stringMatching(/^[\x21-\x7e]{1,64}$/);
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 24, maxLength: 64 }), idArbitrary, fc.integer({ min: 0, max: 4_000_000_000 }), fc.json(), (key, id, seconds, json) => {
        const body = Buffer.from(json, 'utf8');
        const ours = signWebhookPayload(Buffer.from(key), { messageId: id, timestampSeconds: seconds, body });
        const reference = new Webhook(`whsec_${Buffer.from(key).toString('base64')}`).sign(id, new Date(seconds * 1000), json);
        expect(ours).toBe(reference);
      }),
      { numRuns: 300 },
    );
  });

  it('refuses a fractional or negative timestamp and an empty key list instead of signing something odd', () => {
    const body = Buffer.from('{}');
    expect(() => signWebhookPayload(Buffer.alloc(32), { messageId: 'a', timestampSeconds: 1.5, body })).toThrow(RangeError);
    expect(() => signWebhookPayload(Buffer.alloc(32), { messageId: 'a', timestampSeconds: -1, body })).toThrow(RangeError);
    expect(() => createWebhookHeaders([], { messageId: 'a', timestampSeconds: 1, body })).toThrow(RangeError);
  });
});
