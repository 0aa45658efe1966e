import { describe, expect, it } from 'vitest';
import { createSendGovernor } from './send-governor.js';

function manualClock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

/** Drives the governor like the worker does: ask, wait as told, ask again. Returns the send times. */
function sendAll(governor: ReturnType<typeof createSendGovernor>, clock: ReturnType<typeof manualClock>, count: number, recipientOf: (index: number) => string) {
  const times: number[] = [];
  for (let index = 0; index < count; index += 1) {
    let wait = governor.reserve('pn', recipientOf(index));
    while (wait > 0) {
      clock.advance(wait);
      wait = governor.reserve('pn', recipientOf(index));
    }
    times.push(clock.now());
  }
  return times;
}

describe('send governor', () => {
  it('keeps every one-second window within the rate plus a 5 % burst, and the long-run rate exact', () => {
    const clock = manualClock();
    const governor = createSendGovernor({ messagesPerSecond: 80, pairBurst: 1_000, pairIntervalMs: 1, clock });
    const times = sendAll(governor, clock, 2_000, (index) => `r${index}`);
    for (let start = 0; start < times.length; start += 1) {
      const inWindow = times.filter((time) => time >= times[start]! && time < times[start]! + 1_000).length;
      expect(inWindow).toBeLessThanOrEqual(80 + 4);
    }
    // And it is not slower than it must be: 2,000 sends at 80/s take about 25 s.
    const seconds = (times.at(-1)! - times[0]!) / 1000;
    expect(seconds).toBeGreaterThan(24.5);
    expect(seconds).toBeLessThan(25.5);
  });

  it('spaces messages to one recipient after the burst, without slowing other recipients', () => {
    const clock = manualClock();
    const governor = createSendGovernor({ messagesPerSecond: 0, pairBurst: 3, pairIntervalMs: 6_000, clock });
    const times = sendAll(governor, clock, 5, () => 'same');
    expect(times.slice(0, 3).every((time) => time === times[0])).toBe(true);
    expect(times[3]! - times[2]!).toBeGreaterThanOrEqual(6_000);
    expect(times[4]! - times[3]!).toBeGreaterThanOrEqual(6_000);
    expect(governor.reserve('pn', 'other')).toBe(0);
  });

  it('does not take a slot it refuses', () => {
    const clock = manualClock();
    const governor = createSendGovernor({ messagesPerSecond: 1, pairBurst: 1, pairIntervalMs: 10_000, clock });
    expect(governor.reserve('pn', 'a')).toBe(0);
    // Refused by the number bucket: recipient b's pair slot must stay untouched.
    expect(governor.reserve('pn', 'b')).toBeGreaterThan(0);
    clock.advance(1_000);
    expect(governor.reserve('pn', 'b')).toBe(0);
  });

  it('forgets recipients whose bucket is full again', () => {
    const clock = manualClock();
    const governor = createSendGovernor({ messagesPerSecond: 0, pairBurst: 2, pairIntervalMs: 1_000, clock });
    governor.reserve('pn', 'a');
    governor.reserve('pn', 'b');
    expect(governor.trackedRecipients()).toBe(2);
    clock.advance(1_000);
    governor.forgetIdleRecipients();
    expect(governor.trackedRecipients()).toBe(0);
  });
});
