import { afterEach, describe, expect, it } from 'vitest';
import { createManualClock, createTestEmulator, templateTo, textTo, wamidOf } from './support/emulator-fixture.js';
import type { TestEmulator } from './support/emulator-fixture.js';
import { startWebhookReceiver } from './support/webhook-receiver.js';
import type { WebhookReceiver } from './support/webhook-receiver.js';

const DAY = 24 * 60 * 60 * 1000;
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function emulatorWith(options: Parameters<typeof createTestEmulator>[0]): Promise<TestEmulator> {
  const test = await createTestEmulator(options);
  cleanups.push(() => test.emulator.close());
  return test;
}

async function receiver(): Promise<WebhookReceiver> {
  const started = await startWebhookReceiver();
  cleanups.push(() => started.close());
  return started;
}

const recipient = (index: number) => `49151${String(index).padStart(8, '0')}`;
const codesOf = (answers: { status: number; body: { error?: { code: number } } }[]) => answers.map((answer) => answer.body.error?.code ?? answer.status);

describe('throughput per business number', () => {
  it('refuses only the sends above the configured rate with 130429, and passes again a second later', async () => {
    const clock = createManualClock();
    const { send } = await emulatorWith({ clock, throughputPerSecond: 20 });
    const first = await Promise.all(Array.from({ length: 30 }, (_, index) => send(templateTo(recipient(index)))));
    expect(codesOf(first).filter((code) => code === 200)).toHaveLength(20);
    expect(codesOf(first).filter((code) => code === 130429)).toHaveLength(10);
    expect(first.find((answer) => answer.body.error?.code === 130429)?.status).toBe(400);

    clock.advance(1_000);
    const second = await Promise.all(Array.from({ length: 20 }, (_, index) => send(templateTo(recipient(100 + index)))));
    expect(codesOf(second).every((code) => code === 200)).toBe(true);
  });

  it('never refuses a steady rate at the limit', async () => {
    const clock = createManualClock();
    const { send } = await emulatorWith({ clock, throughputPerSecond: 10 });
    for (let tick = 0; tick < 30; tick += 1) {
      expect((await send(templateTo(recipient(tick)))).status).toBe(200);
      clock.advance(100);
    }
  });
});

describe('pair rate limit per recipient', () => {
  it('refuses a recipient over its burst with 131056 while others are unaffected, and refills one per interval', async () => {
    const clock = createManualClock();
    const { send } = await emulatorWith({ clock, pairRateLimit: { burst: 3, refillEveryMs: 6_000 } });
    const busy = recipient(1);
    expect(codesOf(await Promise.all([1, 2, 3, 4].map(() => send(templateTo(busy)))))).toEqual([200, 200, 200, 131056]);
    expect((await send(templateTo(recipient(2)))).status).toBe(200);
    clock.advance(5_999);
    expect(codesOf([await send(templateTo(busy))])).toEqual([131056]);
    clock.advance(1);
    expect(codesOf([await send(templateTo(busy)), await send(templateTo(busy))])).toEqual([200, 131056]);
  });
});

describe('24-hour customer-service window', () => {
  it('accepts a free-form message outside the window, then sends a failed status with 131047 (as Meta does)', async () => {
    const hook = await receiver();
    const { send, emulator } = await emulatorWith({ webhookUrl: hook.url });
    const answer = await send(textTo(recipient(1)));
    expect(answer.status).toBe(200);
    await emulator.waitForIdle();
    const statuses = hook.statuses().filter((status) => status.id === wamidOf(answer));
    expect(statuses).toHaveLength(1);
    expect(statuses[0]).toMatchObject({ status: 'failed', recipient_id: recipient(1), errors: [{ code: 131047, title: 'Re-engagement message' }] });
    expect(emulator.sentMessages(recipient(1))[0]).toMatchObject({ status: 'failed', errors: [{ code: 131047 }] });
  });

  it('answers 131047 at once when configured to refuse in the response', async () => {
    const { send, emulator } = await emulatorWith({ windowViolation: 'error-response' });
    const answer = await send(textTo(recipient(1)));
    expect(answer.status).toBe(400);
    expect(answer.body.error?.code).toBe(131047);
    expect(emulator.sentMessages()).toHaveLength(0);
  });

  it('accepts a template outside the window and lets it run to read', async () => {
    const hook = await receiver();
    const { send, emulator } = await emulatorWith({ webhookUrl: hook.url, windowViolation: 'error-response' });
    const wamid = wamidOf(await send(templateTo(recipient(1))));
    await emulator.waitForIdle();
    expect(hook.statuses().filter((status) => status.id === wamid).map((status) => status.status).sort()).toEqual(['delivered', 'read', 'sent']);
  });

  it('opens the window when the customer writes and closes it 24 hours later', async () => {
    const clock = createManualClock();
    const { send, emulator } = await emulatorWith({ clock, windowViolation: 'error-response' });
    await emulator.say({ from: `+${recipient(1)}`, text: 'hi' });
    clock.advance(DAY - 1);
    expect((await send(textTo(recipient(1)))).status).toBe(200);
    clock.advance(1);
    expect((await send(textTo(recipient(1)))).body.error?.code).toBe(131047);
    await emulator.say({ from: recipient(1), text: 'me again' });
    expect((await send(textTo(recipient(1)))).status).toBe(200);
  });

  it('does not open the window for other customers', async () => {
    const { send, emulator } = await emulatorWith({ windowViolation: 'error-response' });
    await emulator.say({ from: recipient(1), text: 'hi' });
    expect((await send(textTo(recipient(2)))).body.error?.code).toBe(131047);
  });
});
