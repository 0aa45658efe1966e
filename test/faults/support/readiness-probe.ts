/**
 * Polls `/readyz` as a load balancer would and keeps the answers, to tell when a gateway turned
 * unready (and which check failed), for how long, and when it took traffic again.
 */
export interface ReadinessProbe {
  /** Polls another URL from now on (a gateway restarted on a new port). */
  setUrl(url: string): void;
  /**
   * Resolves with the time of the first poll at or after `since` that saw `state` (for `unready`,
   * optionally with `failing` among the failed checks /readyz names).
   */
  waitFor(state: ReadinessState, since: number, timeoutMs: number, failing?: string): Promise<number>;
  /** Milliseconds the probe saw `unready` (503), summed over the run. */
  unreadyMs(): number;
  /** How often each state was seen, over the run or within [from, to). */
  counts(from?: number, to?: number): Record<ReadinessState, number>;
  stop(): void;
}

/** `ready` (200), `unready` (503), `down` (connection refused or reset: the process is gone), `slow` (no answer within 10 s). */
export type ReadinessState = 'ready' | 'unready' | 'down' | 'slow';

interface Sample {
  at: number;
  state: ReadinessState;
  /** The checks /readyz said failed (empty for the event-loop guard's 503, which names none). */
  failing: string[];
}

const POLL_MS = 100;
const ANSWER_TIMEOUT_MS = 10_000;

export function startReadinessProbe(url: string): ReadinessProbe {
  let base = url;
  const samples: Sample[] = [];
  let isRunning = true;

  async function probeOnce(): Promise<Sample> {
    const at = Date.now();
    try {
      const response = await fetch(`${base}/readyz`, { signal: AbortSignal.timeout(ANSWER_TIMEOUT_MS) });
      const body = (await response.json().catch(() => ({}))) as { failing?: unknown };
      const failing = Array.isArray(body.failing) ? body.failing.map(String) : [];
      return { at, state: response.status === 200 ? 'ready' : response.status === 503 ? 'unready' : 'down', failing };
    } catch (error) {
      return { at, state: (error as Error).name === 'TimeoutError' ? 'slow' : 'down', failing: [] };
    }
  }

  async function poll(): Promise<void> {
    while (isRunning) {
      const sample = await probeOnce();
      samples.push(sample);
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, POLL_MS - (Date.now() - sample.at))));
    }
  }
  void poll();

  const find = (state: ReadinessState, since: number, failing?: string) =>
    samples.find((sample) => sample.at >= since && sample.state === state && (failing === undefined || sample.failing.includes(failing)))?.at ?? null;

  return {
    setUrl(next) {
      base = next;
    },
    async waitFor(state, since, timeoutMs, failing) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const at = find(state, since, failing);
        if (at !== null) return at;
        if (Date.now() > deadline) {
          const last = samples.at(-1);
          throw new Error(`/readyz of ${base} was not ${state}${failing ? ` (${failing})` : ''} within ${timeoutMs} ms (last: ${last?.state ?? 'none'} ${JSON.stringify(last?.failing ?? [])})`);
        }
        await new Promise((resolve) => setTimeout(resolve, POLL_MS / 2));
      }
    },
    unreadyMs() {
      let total = 0;
      samples.forEach((sample, position) => {
        const next = samples[position + 1];
        if (sample.state === 'unready' && next) total += next.at - sample.at;
      });
      return total;
    },
    counts(from = 0, to = Number.MAX_SAFE_INTEGER) {
      const counts = { ready: 0, unready: 0, down: 0, slow: 0 };
      for (const sample of samples) if (sample.at >= from && sample.at < to) counts[sample.state] += 1;
      return counts;
    },
    stop() {
      isRunning = false;
    },
  };
}
