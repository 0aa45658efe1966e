import type { Clock } from '../clock.js';

export interface TokenBucket {
  /** Whether one token is available now, without taking it. */
  hasToken(): boolean;
  /** Takes one token when available; false (taking nothing) otherwise. */
  tryTake(): boolean;
  /** Whether the bucket is full again, so a caller may forget it. */
  isFull(): boolean;
}

export interface TokenBucketOptions {
  /** Tokens available at once (the burst). */
  capacity: number;
  /** One token returns every `refillEveryMs`. */
  refillEveryMs: number;
  clock: Clock;
}

/** A classic token bucket on an injected clock: refills continuously, never above capacity. */
export function createTokenBucket({ capacity, refillEveryMs, clock }: TokenBucketOptions): TokenBucket {
  let tokens = capacity;
  let updatedAt = clock.now();
  const refill = () => {
    const now = clock.now();
    // A clock moved backwards (tests, NTP) must not drain the bucket.
    const elapsed = Math.max(0, now - updatedAt);
    tokens = Math.min(capacity, tokens + elapsed / refillEveryMs);
    updatedAt = now;
  };
  return {
    hasToken() {
      refill();
      return tokens >= 1;
    },
    tryTake() {
      refill();
      if (tokens < 1) return false;
      tokens -= 1;
      return true;
    },
    isFull() {
      refill();
      return tokens >= capacity;
    },
  };
}
