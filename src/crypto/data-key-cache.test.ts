import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Clock } from '../clock.js';
import { createDataKeyCache } from './data-key-cache.js';
import { randomBytes } from './primitives.js';

function createFakeClock(start = 1_000_000): Clock & { advance(ms: number): void } {
  let now = start;
  return { now: () => now, advance: (ms) => (now += ms) };
}

function createCache(overrides: { maxAgeMs?: number; maxUses?: number; maxEntries?: number } = {}) {
  const clock = createFakeClock();
  const cache = createDataKeyCache({ maxAgeMs: 60_000, maxUses: 1_000, maxEntries: 100, clock, ...overrides });
  return { cache, clock };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('data key cache', () => {
  it('returns a copy of the stored key and keeps its own copy of what was set', () => {
    const { cache } = createCache();
    const key = randomBytes(32);
    const original = Buffer.from(key);
    cache.set('dk-1', key);
    key.fill(0);
    const first = cache.get('dk-1');
    expect(first).toEqual(original);
    first?.fill(0);
    expect(cache.get('dk-1')).toEqual(original);
    expect(cache.get('missing')).toBeUndefined();
  });

  it('expires an entry by age, measured from when it was set', () => {
    const { cache, clock } = createCache({ maxAgeMs: 1_000 });
    cache.set('dk-1', randomBytes(32));
    clock.advance(999);
    expect(cache.get('dk-1')).toBeDefined();
    clock.advance(1);
    expect(cache.get('dk-1')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('expires an entry after maxUses gets', () => {
    const { cache } = createCache({ maxUses: 3 });
    cache.set('dk-1', randomBytes(32));
    for (let use = 0; use < 3; use += 1) expect(cache.get('dk-1')).toBeDefined();
    expect(cache.get('dk-1')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('evicts the least recently used entry beyond maxEntries', () => {
    const { cache } = createCache({ maxEntries: 2 });
    cache.set('a', randomBytes(32));
    cache.set('b', randomBytes(32));
    cache.get('a');
    cache.set('c', randomBytes(32));
    expect(cache.size).toBe(2);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBeDefined();
    expect(cache.get('c')).toBeDefined();
  });

  it('resets age and uses when an id is set again', () => {
    const { cache, clock } = createCache({ maxAgeMs: 1_000, maxUses: 1 });
    cache.set('dk-1', randomBytes(32));
    cache.get('dk-1');
    clock.advance(900);
    const replacement = randomBytes(32);
    cache.set('dk-1', replacement);
    clock.advance(900);
    expect(cache.get('dk-1')).toEqual(replacement);
    expect(cache.size).toBe(1);
  });

  it('zeroes its own copy on every kind of eviction, never a copy it handed out', () => {
    // Calls through to the real fill; mock.contexts records the buffer each call zeroed.
    const fillSpy = vi.spyOn(Buffer.prototype, 'fill');
    const { cache, clock } = createCache({ maxAgeMs: 1_000, maxUses: 2, maxEntries: 1 });

    cache.set('age', randomBytes(32));
    const handedOut = cache.get('age');
    clock.advance(1_000);
    cache.get('age');
    cache.set('uses', randomBytes(32));
    cache.get('uses');
    cache.get('uses');
    cache.get('uses');
    cache.set('lru-1', randomBytes(32));
    cache.set('lru-2', randomBytes(32));
    cache.set('deleted', randomBytes(32));
    cache.delete('deleted');
    cache.set('cleared', randomBytes(32));
    cache.clear();

    const zeroed = fillSpy.mock.contexts.filter(
      (context: unknown, call): context is Buffer => Buffer.isBuffer(context) && fillSpy.mock.calls[call]?.[0] === 0,
    );
    // age, uses, lru-1 (pushed out by lru-2), lru-2 (pushed out by deleted), deleted, cleared.
    expect(zeroed).toHaveLength(6);
    for (const buffer of zeroed) expect(buffer.every((byte) => byte === 0)).toBe(true);
    expect(handedOut?.some((byte) => byte !== 0)).toBe(true);
    expect(zeroed).not.toContain(handedOut);
    expect(cache.size).toBe(0);
  });

  it('evicts expired entries in one sweep when asked', () => {
    const { cache, clock } = createCache({ maxAgeMs: 1_000 });
    cache.set('old', randomBytes(32));
    clock.advance(600);
    cache.set('new', randomBytes(32));
    clock.advance(400);
    expect(cache.evictExpired()).toBe(1);
    expect(cache.size).toBe(1);
    expect(cache.get('new')).toBeDefined();
  });

  it('refuses limits that are not positive integers', () => {
    const clock = createFakeClock();
    for (const bad of [0, -1, 1.5, Number.NaN]) {
      expect(() => createDataKeyCache({ maxAgeMs: bad, maxUses: 1, maxEntries: 1, clock })).toThrow(RangeError);
      expect(() => createDataKeyCache({ maxAgeMs: 1, maxUses: bad, maxEntries: 1, clock })).toThrow(RangeError);
      expect(() => createDataKeyCache({ maxAgeMs: 1, maxUses: 1, maxEntries: bad, clock })).toThrow(RangeError);
    }
  });
});
