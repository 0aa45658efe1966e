/**
 * The load balancer in front of several gateways, as the senders see it: round robin, with a
 * passive health check (a gateway that refused or reset a connection is left out for a second),
 * failing open when every gateway is left out.
 */
export interface RoundRobin {
  pick(): string;
  /** The connection to `target` failed: leave it out for a while. */
  leaveOut(target: string): void;
  setTargets(targets: readonly string[]): void;
}

const LEAVE_OUT_MS = 1_000;

export function createRoundRobin(initial: readonly string[]): RoundRobin {
  let targets = [...initial];
  let next = 0;
  const leftOutUntil = new Map<string, number>();
  return {
    pick() {
      const now = Date.now();
      for (let tried = 0; tried < targets.length; tried += 1) {
        const target = targets[next++ % targets.length]!;
        if ((leftOutUntil.get(target) ?? 0) <= now) return target;
      }
      return targets[next++ % targets.length]!;
    },
    leaveOut(target) {
      leftOutUntil.set(target, Date.now() + LEAVE_OUT_MS);
    },
    setTargets(next) {
      if (next.length === 0) throw new Error('a load balancer needs at least one target');
      targets = [...next];
    },
  };
}

/** Full-ish jitter: half the ceiling plus a random share of the other half; the ceiling doubles per failure. */
export function retryDelayMs(failures: number, firstMs: number, maxMs: number): number {
  const ceiling = Math.min(maxMs, firstMs * 2 ** failures);
  return ceiling / 2 + Math.random() * (ceiling / 2);
}
