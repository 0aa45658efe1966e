/**
 * A small LRU cache of unwrapped data keys, so a burst of messages for one contact costs one KMS
 * unwrap. Entries expire by age (since set) and by number of uses, whichever comes first.
 *
 * Ownership: the cache keeps its own copy of each key and hands out copies. Evicting zeroes the
 * cache's copy, never a buffer a caller holds, so a caller in the middle of an async operation can
 * never find its key silently turned to zeros. A caller that wants its copy wiped wipes it itself.
 * (Zeroing in JavaScript is hygiene, not a guarantee: the runtime may have copied the bytes.)
 */
import type { Clock } from '../clock.js';

export interface DataKeyCacheOptions {
  /** An entry older than this (measured from set) is evicted on its next get. */
  maxAgeMs: number;
  /** get() returns an entry at most this many times. */
  maxUses: number;
  /** Beyond this, the least recently used entry is evicted. */
  maxEntries: number;
  clock: Clock;
}

interface CacheEntry {
  key: Buffer;
  storedAt: number;
  uses: number;
}

export type DataKeyCache = ReturnType<typeof createDataKeyCache>;

export function createDataKeyCache(options: DataKeyCacheOptions) {
  const { maxAgeMs, maxUses, maxEntries, clock } = options;
  assertPositiveInteger('maxAgeMs', maxAgeMs);
  assertPositiveInteger('maxUses', maxUses);
  assertPositiveInteger('maxEntries', maxEntries);
  // Map iteration order is insertion order; re-inserting on use keeps the least recent first.
  const entries = new Map<string, CacheEntry>();

  function evict(id: string): void {
    const entry = entries.get(id);
    if (!entry) return;
    entry.key.fill(0);
    entries.delete(id);
  }

  function isExpired(entry: CacheEntry, now: number): boolean {
    return now - entry.storedAt >= maxAgeMs || entry.uses >= maxUses;
  }

  return {
    /** A copy of the key, counting one use; undefined when absent or expired (and then evicted). */
    get(id: string): Buffer | undefined {
      const entry = entries.get(id);
      if (!entry) return undefined;
      if (isExpired(entry, clock.now())) {
        evict(id);
        return undefined;
      }
      entry.uses += 1;
      entries.delete(id);
      entries.set(id, entry);
      return Buffer.from(entry.key);
    },
    /** Stores a copy of `key`; the caller's buffer stays the caller's. */
    set(id: string, key: Buffer): void {
      evict(id);
      entries.set(id, { key: Buffer.from(key), storedAt: clock.now(), uses: 0 });
      for (const oldestId of entries.keys()) {
        if (entries.size <= maxEntries) break;
        evict(oldestId);
      }
    },
    delete(id: string): void {
      evict(id);
    },
    clear(): void {
      for (const id of [...entries.keys()]) evict(id);
    },
    /** Expired entries are otherwise evicted only when touched; a timer can call this to bound key lifetime. */
    evictExpired(): number {
      const now = clock.now();
      const expiredIds = [...entries].filter(([, entry]) => isExpired(entry, now)).map(([id]) => id);
      for (const id of expiredIds) evict(id);
      return expiredIds.length;
    },
    get size(): number {
      return entries.size;
    },
  };
}

function assertPositiveInteger(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer`);
}
