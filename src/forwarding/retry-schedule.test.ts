import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decideNextStep, defaultRetrySchedule, nextRetryDelay, parseRetryAfter } from './retry-schedule.js';
import type { RetryContext } from './retry-schedule.js';

const { minDelayMs, maxDelayMs, maxAttempts, maxAgeMs } = defaultRetrySchedule;
const attemptArbitrary = fc.integer({ min: 1, max: 1_000 });
const randomArbitrary = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });

describe('nextRetryDelay', () => {
  it('stays between 5 s and a ceiling that doubles per attempt and stops at 1 h', () => {
    fc.assert(
      fc.property(attemptArbitrary, randomArbitrary, (attempt, random) => {
        const delay = nextRetryDelay(attempt, () => random);
        const ceiling = Math.min(maxDelayMs, minDelayMs * 2 ** attempt);
        expect(delay).toBeGreaterThanOrEqual(minDelayMs);
        expect(delay).toBeLessThanOrEqual(ceiling);
        expect(delay).toBeLessThanOrEqual(maxDelayMs);
      }),
      { numRuns: 2_000 },
    );
  });

  it('is jittered over the whole window: the random draw alone moves it from the minimum to the ceiling', () => {
    fc.assert(
      fc.property(attemptArbitrary, randomArbitrary, randomArbitrary, (attempt, first, second) => {
        fc.pre(Math.abs(first - second) > 0.01);
        const ceiling = Math.min(maxDelayMs, minDelayMs * 2 ** attempt);
        expect(nextRetryDelay(attempt, () => first)).not.toBe(nextRetryDelay(attempt, () => second));
        expect(nextRetryDelay(attempt, () => 0)).toBe(minDelayMs);
        expect(nextRetryDelay(attempt, () => 0.999_999_9)).toBeGreaterThan(ceiling - 1_000);
      }),
    );
  });

  it('spreads real random draws across the window rather than bunching them', () => {
    const delays = Array.from({ length: 2_000 }, () => nextRetryDelay(20));
    const belowMiddle = delays.filter((delay) => delay < (minDelayMs + maxDelayMs) / 2).length;
    expect(belowMiddle).toBeGreaterThan(800);
    expect(belowMiddle).toBeLessThan(1_200);
  });

  it('grows with the attempt number until the cap', () => {
    const ceilings = [1, 2, 3, 9, 10, 50].map((attempt) => nextRetryDelay(attempt, () => 0.999_999_999));
    expect(ceilings).toEqual([10_000, 20_000, 40_000, 2_560_000, maxDelayMs, maxDelayMs]);
  });

  it('stays in bounds for nonsense inputs (attempt 0, negative, a random source out of range)', () => {
    for (const [attempt, random] of [[0, 0.5], [-3, 0.5], [Number.MAX_SAFE_INTEGER, 2], [1, -1]] as const) {
      const delay = nextRetryDelay(attempt, () => random);
      expect(delay).toBeGreaterThanOrEqual(minDelayMs);
      expect(delay).toBeLessThanOrEqual(maxDelayMs);
    }
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-11-23T12:00:00Z');

  it('reads delay-seconds and HTTP dates', () => {
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter('Mon, 23 Nov 2026 12:10:00 GMT', now)).toBe(600_000);
  });

  it('holds the delay within 5 s … 1 h', () => {
    expect(parseRetryAfter('0', now)).toBe(minDelayMs);
    expect(parseRetryAfter('86400', now)).toBe(maxDelayMs);
    expect(parseRetryAfter('Mon, 23 Nov 2026 11:00:00 GMT', now)).toBe(minDelayMs);
  });

  it('ignores what is neither (negative, fractional, garbage, absent)', () => {
    for (const value of ['-5', '1.5', 'soon', '', '12abc', '99999999999']) expect(parseRetryAfter(value, now), value).toBeNull();
    expect(parseRetryAfter(null, now)).toBeNull();
  });
});

describe('decideNextStep', () => {
  const queuedAt = Date.parse('2026-11-20T00:00:00Z');
  const context = (overrides: Partial<RetryContext>): RetryContext => ({
    attempt: 1,
    queuedAt,
    now: queuedAt + 1_000,
    retryAfterMs: null,
    lastFailure: 'HTTP 503',
    ...overrides,
  });

  it('schedules the next attempt by the backoff', () => {
    expect(decideNextStep(context({ attempt: 3 }), () => 0)).toEqual({ kind: 'retry', delayMs: minDelayMs, runAt: queuedAt + 1_000 + minDelayMs });
  });

  it('waits as long as Retry-After asks when that is longer than the backoff', () => {
    expect(decideNextStep(context({ retryAfterMs: 1_800_000 }), () => 0)).toMatchObject({ kind: 'retry', delayMs: 1_800_000 });
  });

  it('gives up after the maximum number of attempts, saying why and what failed last', () => {
    const step = decideNextStep(context({ attempt: maxAttempts }));
    expect(step).toEqual({ kind: 'dead', reason: `gave up after ${maxAttempts} attempts; last: HTTP 503` });
    expect(decideNextStep(context({ attempt: maxAttempts - 1 })).kind).toBe('retry');
  });

  it('gives up once the event is 3 days old', () => {
    const step = decideNextStep(context({ attempt: 40, now: queuedAt + maxAgeMs }));
    expect(step).toEqual({ kind: 'dead', reason: 'gave up after 72 h of retries; last: HTTP 503' });
  });

  it('never schedules an attempt past the age limit, and never in the past', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: maxAttempts - 1 }),
        fc.integer({ min: 0, max: maxAgeMs - 1 }),
        fc.option(fc.integer({ min: minDelayMs, max: maxDelayMs }), { nil: null }),
        randomArbitrary,
        (attempt, age, retryAfterMs, random) => {
          const now = queuedAt + age;
          const step = decideNextStep(context({ attempt, now, retryAfterMs }), () => random);
          expect(step.kind).toBe('retry');
          if (step.kind !== 'retry') return;
          expect(step.runAt).toBeGreaterThan(now);
          expect(step.runAt).toBeLessThanOrEqual(queuedAt + maxAgeMs);
          expect(step.delayMs).toBeLessThanOrEqual(maxDelayMs);
        },
      ),
      { numRuns: 1_000 },
    );
  });
});
