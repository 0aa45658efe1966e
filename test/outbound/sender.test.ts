import { afterEach, describe, expect, it } from 'vitest';
import { requeueDeadJob } from '../../src/db/outbox-repository.js';
import { requeueFailedMessage } from '../../src/outbound/outbound-admin.js';
import { startSandboxPair } from '../support/sandbox-pair.js';
import type { SandboxPair } from '../support/sandbox-pair.js';

const CUSTOMER = '+4915112345678';
const text = (to: string, body: string) => ({ to, type: 'text', text: { body } });

async function statusOf(pair: SandboxPair, id: string) {
  const response = await fetch(`${pair.gateway.url}/api/v1/messages/${id}`, { headers: { authorization: `Bearer ${pair.apiKey}` } });
  return (await response.json()) as { status: string; error: { code: number | null; reason: string } | null };
}

async function eventually<T>(probe: () => Promise<T>, isDone: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (isDone(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('sender against the Cloud API emulator', () => {
  let pair: SandboxPair;
  afterEach(async () => pair?.close());

  /** Queues one message to each of `count` customers while sending is held, so they are all due at once. */
  async function sendToMany(count: number): Promise<string[]> {
    const recipients = Array.from({ length: count }, (_, index) => `+49151${String(index).padStart(8, '0')}`);
    await Promise.all(recipients.map((recipient) => pair.openWindow(recipient)));
    await pair.gateway.rampart.database.db
      .insertInto('sender_pauses')
      .values({ phone_number_id: pair.emulator.phoneNumberId, reason: 'test: hold sending', error_code: null, paused_until: Date.now() + 3_000, created_at: Date.now() })
      .execute();
    const answers = await Promise.all(recipients.map((recipient) => pair.send(text(recipient, 'Your parcel is on its way'))));
    expect(answers.map((answer) => answer.status).every((status) => status === 202)).toBe(true);
    return recipients;
  }

  // 40 rather than Meta's default 80 messages/s, so that even a loaded CI machine can send faster
  // than the limit and the control below really meets it.
  it('never meets 130429 at the number\'s limit, though every message was due at once', async () => {
    pair = await startSandboxPair({ emulator: { throughputPerSecond: 40 }, overrides: { RAMPART_SEND_RATE_PER_SECOND: '40' } });
    await sendToMany(160);
    await pair.waitForOutbox(30_000);
    const sends = (await pair.jobs()).filter((job) => job.kind === 'send-message');
    expect(sends.every((job) => job.state === 'done' && job.attempts === 0)).toBe(true);
    const times = pair.emulator.sentMessages().filter((message) => message.direction === 'outbound').map((message) => Date.parse(message.timestamp));
    expect(times).toHaveLength(160);
    // All were due at once, yet they went out no faster than 40/s plus the governor's burst of 2:
    // 160 sends span at least (160 - 42) / 40 s. (How close to the rate it keeps is bench/outbound's job.)
    expect(Math.max(...times) - Math.min(...times)).toBeGreaterThanOrEqual(((160 - 42) / 40) * 1000);
  });

  it('meets 130429 without the governor (the check above can fail), and retries until every message is sent', async () => {
    pair = await startSandboxPair({ emulator: { throughputPerSecond: 40 }, overrides: { RAMPART_SEND_RATE_PER_SECOND: '0' } });
    await sendToMany(160);
    await pair.waitForOutbox(30_000);
    const sends = (await pair.jobs()).filter((job) => job.kind === 'send-message');
    expect(sends.some((job) => job.attempts > 0 && /130429/.test(job.last_error ?? ''))).toBe(true);
    expect(sends.every((job) => job.state === 'done')).toBe(true);
    expect(pair.emulator.sentMessages().filter((message) => message.direction === 'outbound')).toHaveLength(160);
  });

  it('spaces messages to one recipient so the pair limit (131056) is never met', async () => {
    pair = await startSandboxPair({
      emulator: { pairRateLimit: { burst: 2, refillEveryMs: 500 } },
      // A little slower than Meta's own spacing: network jitter must not make a send arrive early.
      overrides: { RAMPART_SEND_PAIR_BURST: '2', RAMPART_SEND_PAIR_INTERVAL_MS: '550' },
    });
    await pair.openWindow(CUSTOMER);
    for (let index = 0; index < 5; index += 1) expect((await pair.send(text(CUSTOMER, `update ${index}`))).status).toBe(202);
    await pair.waitForOutbox();
    const sends = (await pair.jobs()).filter((job) => job.kind === 'send-message');
    expect(sends.every((job) => job.state === 'done' && job.attempts === 0)).toBe(true);
    const times = pair.emulator.sentMessages(CUSTOMER).filter((message) => message.direction === 'outbound').map((message) => Date.parse(message.timestamp));
    expect(times).toHaveLength(5);
    // Two at once, then one per 550 ms.
    expect(times[4]! - times[0]!).toBeGreaterThanOrEqual(1_500);
  });

  it.each([131026, 132001, 131051])('fails %i at once without retrying', async (code) => {
    pair = await startSandboxPair();
    await pair.openWindow(CUSTOMER);
    pair.emulator.injectFailure({ mode: 'response', code, count: 1 });
    const { id } = (await (await pair.send(text(CUSTOMER, 'hello'))).json()) as { id: string };
    await pair.waitForOutbox();
    const [job] = (await pair.jobs()).filter((candidate) => candidate.subject_id === id);
    expect(job).toMatchObject({ state: 'dead', attempts: 1 });
    expect(await statusOf(pair, id)).toMatchObject({ status: 'failed', error: { code } });
    expect(pair.emulator.sentMessages(CUSTOMER).filter((message) => message.direction === 'outbound')).toHaveLength(0);
  });

  it('records 131047 from a failed status webhook and does not send again', async () => {
    pair = await startSandboxPair();
    await pair.openWindow(CUSTOMER);
    pair.emulator.injectFailure({ mode: 'status', code: 131047, count: 1 });
    const { id } = (await (await pair.send(text(CUSTOMER, 'hello'))).json()) as { id: string };
    const status = await eventually(() => statusOf(pair, id), (value) => value.status === 'failed');
    expect(status).toMatchObject({ status: 'failed', error: { code: 131047 } });
    expect(status.error?.reason).toMatch(/template/);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(pair.emulator.sentMessages(CUSTOMER).filter((message) => message.direction === 'outbound')).toHaveLength(1);
  });

  it.each([
    ['130429', { mode: 'response' as const, code: 130429, count: 2 }],
    ['HTTP 503', { mode: 'response' as const, code: 131000, httpStatus: 503, count: 2 }],
    ['a dropped connection', { mode: 'drop' as const, count: 2 }],
  ])('retries after %s and delivers', async (_, failure) => {
    pair = await startSandboxPair();
    await pair.openWindow(CUSTOMER);
    pair.emulator.injectFailure(failure);
    const { id } = (await (await pair.send(text(CUSTOMER, 'hello'))).json()) as { id: string };
    const status = await eventually(() => statusOf(pair, id), (value) => value.status === 'read', 15_000);
    expect(status.status).toBe('read');
    const [job] = (await pair.jobs()).filter((candidate) => candidate.subject_id === id);
    expect(job).toMatchObject({ state: 'done', attempts: 2 });
    expect(pair.emulator.sentMessages(CUSTOMER).filter((message) => message.direction === 'outbound')).toHaveLength(1);
  });

  it('pauses the number on an expired token (190) instead of burning attempts', async () => {
    pair = await startSandboxPair();
    await pair.openWindow(CUSTOMER);
    pair.emulator.injectFailure({ mode: 'response', code: 190, count: 1 });
    const { id } = (await (await pair.send(text(CUSTOMER, 'hello'))).json()) as { id: string };
    const pauses = await eventually(
      () => pair.gateway.rampart.database.db.selectFrom('sender_pauses').selectAll().execute(),
      (rows) => rows.length > 0,
    );
    expect(pauses[0]).toMatchObject({ error_code: 190, paused_until: null });
    const [job] = (await pair.jobs()).filter((candidate) => candidate.subject_id === id);
    expect(job).toMatchObject({ state: 'pending', attempts: 0 });
    expect(pair.gateway.logs()).toContain('ALERT');
  });
});

describe('operator actions on the outbox', () => {
  let pair: SandboxPair;
  afterEach(async () => pair?.close());

  it('sends a dead message after it is queued again (rampart outbox retry)', async () => {
    pair = await startSandboxPair();
    await pair.openWindow(CUSTOMER);
    pair.emulator.injectFailure({ mode: 'response', code: 131026, count: 1 });
    const { id } = (await (await pair.send(text(CUSTOMER, 'second try'))).json()) as { id: string };
    await pair.waitForOutbox();
    const [dead] = (await pair.jobs()).filter((job) => job.subject_id === id);
    expect(dead!.state).toBe('dead');

    const db = pair.gateway.rampart.database.db;
    await requeueFailedMessage(db, id, Date.now());
    expect(await requeueDeadJob(db, { id: dead!.id, now: Date.now() })).toBe(true);
    expect(await requeueDeadJob(db, { id: dead!.id, now: Date.now() })).toBe(false);
    pair.gateway.rampart.worker!.wake();
    const status = await eventually(() => statusOf(pair, id), (value) => value.status === 'read');
    expect(status).toMatchObject({ status: 'read', error: null });
  });
});
