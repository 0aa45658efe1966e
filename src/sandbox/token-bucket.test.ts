import { describe, expect, it } from 'vitest';
import { createTokenBucket } from './token-bucket.js';

function manualClock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe('token bucket', () => {
  it('grants exactly its capacity in one instant, then refuses', () => {
    const clock = manualClock();
    const bucket = createTokenBucket({ capacity: 5, refillEveryMs: 100, clock });
    const granted = Array.from({ length: 8 }, () => bucket.tryTake()).filter(Boolean).length;
    expect(granted).toBe(5);
    expect(bucket.hasToken()).toBe(false);
  });

  it('returns one token per refill interval and never more than its capacity', () => {
    const clock = manualClock();
    const bucket = createTokenBucket({ capacity: 2, refillEveryMs: 100, clock });
    bucket.tryTake();
    bucket.tryTake();
    clock.advance(99);
    expect(bucket.tryTake()).toBe(false);
    clock.advance(1);
    expect(bucket.tryTake()).toBe(true);
    clock.advance(10_000);
    expect(bucket.isFull()).toBe(true);
    expect([bucket.tryTake(), bucket.tryTake(), bucket.tryTake()]).toEqual([true, true, false]);
  });

  it('is not drained by a clock that moves backwards', () => {
    const clock = manualClock();
    const bucket = createTokenBucket({ capacity: 1, refillEveryMs: 100, clock });
    clock.advance(-5_000);
    expect(bucket.tryTake()).toBe(true);
  });
});
