import { createRequire } from 'node:module';
import type { FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import type { Redis } from 'ioredis';

/** The store interface of @fastify/rate-limit (it ships its two stores without type declarations). */
interface RateLimitStore {
  incr(key: string, callback: (error: Error | null, result: { current: number; ttl: number } | null) => void, timeWindow: number, max: number): void;
  child(routeOptions: StoreOptions & Record<string, unknown>): RateLimitStore;
}

interface StoreOptions {
  continueExceeding: boolean;
  exponentialBackoff: boolean;
}

const require = createRequire(import.meta.url);
const LocalStore = require('@fastify/rate-limit/store/LocalStore.js') as new (continueExceeding: boolean, exponentialBackoff: boolean, cache?: number) => RateLimitStore;
const RedisStore = require('@fastify/rate-limit/store/RedisStore.js') as new (continueExceeding: boolean, exponentialBackoff: boolean, redis: Redis, key?: string) => RateLimitStore;

/**
 * A rate-limit store that counts in Redis, shared by every gateway, and falls back to this
 * process's own count whenever Redis does not answer: webhooks keep flowing, and a flood is still
 * limited (per process) while Redis is away. The Redis client fails fast while disconnected
 * (no offline queue, a short command timeout: src/main.ts), so the fallback costs no waiting.
 */
export function createFallbackRateLimitStore(redis: Redis, nameSpace: string): FastifyRateLimitStoreCtor {
  class FallbackRateLimitStore implements RateLimitStore {
    private readonly shared: RateLimitStore;
    private readonly local: RateLimitStore;

    constructor(options: StoreOptions, stores?: { shared: RateLimitStore; local: RateLimitStore }) {
      this.shared = stores?.shared ?? new RedisStore(options.continueExceeding, options.exponentialBackoff, redis, nameSpace);
      this.local = stores?.local ?? new LocalStore(options.continueExceeding, options.exponentialBackoff);
    }

    incr(key: string, callback: Parameters<RateLimitStore['incr']>[1], timeWindow: number, max: number): void {
      this.shared.incr(
        key,
        (error, result) => {
          if (!error && result) return callback(null, result);
          this.local.incr(key, callback, timeWindow, max);
        },
        timeWindow,
        max,
      );
    }

    child(routeOptions: StoreOptions & Record<string, unknown>): RateLimitStore {
      return new FallbackRateLimitStore(routeOptions, { shared: this.shared.child(routeOptions), local: this.local.child(routeOptions) });
    }
  }
  // The plugin's declared store types omit what it passes at run time (the options' flags, incr's
  // window and maximum), which the stores it ships (and this one) use.
  return FallbackRateLimitStore as unknown as FastifyRateLimitStoreCtor;
}
