/**
 * Timers the emulator owns (status webhooks, retries, template reviews), so `close` can cancel
 * every one of them and tests can wait until none is left.
 */
export interface TimerSet {
  after(delayMs: number, run: () => void): void;
  /** Timers scheduled and not yet run. */
  size(): number;
  clearAll(): void;
}

export function createTimerSet(): TimerSet {
  const pending = new Set<NodeJS.Timeout>();
  let isClosed = false;
  return {
    after(delayMs, run) {
      if (isClosed) return;
      const timer = setTimeout(() => {
        pending.delete(timer);
        run();
      }, delayMs);
      pending.add(timer);
    },
    size: () => pending.size,
    clearAll() {
      isClosed = true;
      for (const timer of pending) clearTimeout(timer);
      pending.clear();
    },
  };
}
