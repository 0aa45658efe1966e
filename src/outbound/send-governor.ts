import type { Clock } from '../clock.js';

export interface SendGovernorOptions {
  /** Messages per second per business number (Meta: 80 by default, 20 for numbers shared with the Business app, up to 1,000). 0 = no limit. */
  messagesPerSecond: number;
  /** Messages to one recipient sent back to back before spacing applies. */
  pairBurst: number;
  /** Spacing between messages to one recipient once the burst is used (Meta: about 6 s). */
  pairIntervalMs: number;
  clock: Clock;
}

interface Bucket {
  tokens: number;
  updatedAt: number;
}

/**
 * Token buckets that keep the sender under Meta's limits before Meta has to refuse: one per
 * business number (throughput) and one per recipient (pair rate). `reserve` takes a slot now or
 * says how long to wait; it never takes a slot it does not grant.
 */
export function createSendGovernor(options: SendGovernorOptions) {
  const { clock } = options;
  // A burst of 5 % of the rate keeps sends evenly spaced (Meta's own bucket never sees a clump)
  // while a late timer does not lose slots: any one-second window holds at most rate + burst.
  const numberCapacity = Math.max(1, Math.ceil(options.messagesPerSecond / 20));
  const numberBuckets = new Map<string, Bucket>();
  const pairBuckets = new Map<string, Bucket>();

  function refill(bucket: Bucket, capacity: number, perMs: number, now: number): void {
    bucket.tokens = Math.min(capacity, bucket.tokens + (now - bucket.updatedAt) * perMs);
    bucket.updatedAt = now;
  }

  function bucketOf(buckets: Map<string, Bucket>, key: string, capacity: number, now: number): Bucket {
    let bucket = buckets.get(key);
    if (!bucket) {
      bucket = { tokens: capacity, updatedAt: now };
      buckets.set(key, bucket);
    }
    return bucket;
  }

  /** 0 when the send may go now (its slots are taken); otherwise the milliseconds to wait before asking again. */
  function reserve(phoneNumberId: string, recipientKey: string): number {
    const now = clock.now();
    const pairPerMs = 1 / options.pairIntervalMs;
    const pair = bucketOf(pairBuckets, recipientKey, options.pairBurst, now);
    refill(pair, options.pairBurst, pairPerMs, now);
    if (pair.tokens < 1) return Math.ceil((1 - pair.tokens) / pairPerMs);
    if (options.messagesPerSecond > 0) {
      const numberPerMs = options.messagesPerSecond / 1000;
      const number = bucketOf(numberBuckets, phoneNumberId, numberCapacity, now);
      refill(number, numberCapacity, numberPerMs, now);
      if (number.tokens < 1) return Math.max(1, Math.ceil((1 - number.tokens) / numberPerMs));
      number.tokens -= 1;
    }
    pair.tokens -= 1;
    return 0;
  }

  /** Drops recipients whose bucket has refilled: they cost nothing to forget. */
  function forgetIdleRecipients(): void {
    const now = clock.now();
    for (const [key, bucket] of pairBuckets) {
      if (bucket.tokens + (now - bucket.updatedAt) / options.pairIntervalMs >= options.pairBurst) pairBuckets.delete(key);
    }
  }

  return { reserve, forgetIdleRecipients, trackedRecipients: () => pairBuckets.size };
}

export type SendGovernor = ReturnType<typeof createSendGovernor>;
