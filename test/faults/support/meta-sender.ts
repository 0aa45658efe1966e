import { signWebhookBody } from '../../../src/ingress/signature.js';
import { serialiseLikeMeta, textMessagePayload } from '../../support/payloads.js';
import { createRoundRobin, retryDelayMs } from './round-robin.js';

/**
 * A steady, signed webhook load that behaves like Meta's sender: every event is delivered until a
 * gateway answers 200, and anything else (a refusal, a reset connection, a timeout) is retried
 * with growing, jittered pauses. Meta's own pauses run to minutes and hours; these are compressed
 * to fit a test. Each attempt goes to the next gateway in turn, through a round-robin load balancer
 * with a passive health check (round-robin.ts), so a dead gateway's share fails over to the others.
 */
export interface MetaSenderOptions {
  /** Gateway base URLs (`http://127.0.0.1:<port>`); `setTargets` replaces them. */
  targets: readonly string[];
  appSecret: string;
  eventsPerSecond: number;
  /** Distinguishes this run's message ids and texts. */
  label: string;
  /** Distinct customers the messages come from (default 50). */
  customers?: number;
  /** Pause after the first failed attempt, doubled per failure up to `maxRetryDelayMs` (defaults 200 / 3,000 ms). */
  firstRetryDelayMs?: number;
  maxRetryDelayMs?: number;
  /** An attempt not answered within this is abandoned and retried, as Meta does (default 5,000 ms). */
  requestTimeoutMs?: number;
  /** Requests open at once; more wait their turn, as Meta caps concurrent deliveries (default 50). */
  maxConcurrentRequests?: number;
  /** The client address the gateways should see (sent as X-Forwarded-For), per event. */
  clientAddressOf?(sequence: number): string;
}

export interface SentEvent {
  wamid: string;
  body: string;
  sequence: number;
  attempts: number;
  firstAttemptAt: number;
  /** When the 200 arrived; null while unacknowledged. */
  acknowledgedAt: number | null;
  /** The gateway that answered 200. */
  acknowledgedBy: string | null;
}

export interface MetaSenderReport {
  generated: number;
  acknowledged: number;
  /** Generated events never acknowledged (the test ended first). */
  unacknowledged: number;
  attempts: number;
  /** Attempts beyond each event's first. */
  retries: number;
  /** Non-200 answers by status code; `network` for resets and refused connections, `timeout` for no answer in time. */
  refusals: Record<string, number>;
  maxAttemptsForOneEvent: number;
  /** Milliseconds from an event's first attempt to its 200, 50th and 99th percentile and worst. */
  acknowledgeLatencyMs: { p50: number; p99: number; max: number };
}

export interface MetaSender {
  start(): void;
  setTargets(targets: readonly string[]): void;
  /** Every event generated so far, by wamid. */
  events(): ReadonlyMap<string, SentEvent>;
  acknowledgedCount(): number;
  /** Attempts sent and not yet answered (at most `maxConcurrentRequests`), to one gateway or to all. */
  inFlight(target?: string): number;
  /** Attempts waiting for a free request slot. */
  queued(): number;
  /** Acknowledged events whose 200 arrived within [from, to). */
  acknowledgedBetween(from: number, to: number): SentEvent[];
  /** Resolves with the time of the first 200 that arrived at or after `since`. */
  waitForAcknowledgementAfter(since: number, timeoutMs?: number): Promise<number>;
  /** Non-200 answers so far, of any kind. */
  refusalCount(): number;
  /** Resolves once `count` events are acknowledged in total. */
  waitForAcknowledged(count: number, timeoutMs?: number): Promise<void>;
  /**
   * Stops generating, keeps retrying what is still unacknowledged for up to `drainTimeoutMs`,
   * then gives up on the rest and reports.
   */
  finish(drainTimeoutMs?: number): Promise<MetaSenderReport>;
  report(): MetaSenderReport;
}

const TICK_MS = 20;

export function createMetaSender(options: MetaSenderOptions): MetaSender {
  const customers = options.customers ?? 50;
  const firstRetryDelayMs = options.firstRetryDelayMs ?? 200;
  const maxRetryDelayMs = options.maxRetryDelayMs ?? 3_000;
  const requestTimeoutMs = options.requestTimeoutMs ?? 5_000;
  const maxConcurrentRequests = options.maxConcurrentRequests ?? 50;
  const waitingForSlot: (() => void)[] = [];
  const balancer = createRoundRobin(options.targets);
  const sent = new Map<string, SentEvent>();
  const deliveries = new Set<Promise<void>>();
  const refusals: Record<string, number> = {};
  let attempts = 0;
  let inFlight = 0;
  const inFlightByTarget = new Map<string, number>();
  let acknowledged = 0;
  let isGenerating = false;
  let isGivingUp = false;
  let ticker: NodeJS.Timeout | null = null;
  let startedAt = 0;
  let generated = 0;
  let wakeWaiters: (() => void)[] = [];

  function generate(): void {
    const due = Math.floor(((Date.now() - startedAt) / 1000) * options.eventsPerSecond);
    while (isGenerating && generated < due) {
      generated += 1;
      const delivery = deliver(generated);
      deliveries.add(delivery);
      void delivery.finally(() => deliveries.delete(delivery));
    }
  }

  async function deliver(sequence: number): Promise<void> {
    const wamid = `wamid.fault-${options.label}-${sequence}`;
    // Non-ASCII text: the stored plaintext must come back byte for byte.
    const body = `fault ${options.label} #${sequence} — ünïcode ✓`;
    const from = `49151${String(sequence % customers).padStart(8, '0')}`;
    const raw = serialiseLikeMeta(textMessagePayload([{ wamid, from, body, timestamp: 1_700_000_000 + sequence }]));
    const headers: Record<string, string> = { 'content-type': 'application/json', 'x-hub-signature-256': signWebhookBody(options.appSecret, raw) };
    if (options.clientAddressOf) headers['x-forwarded-for'] = options.clientAddressOf(sequence);
    const event: SentEvent = { wamid, body, sequence, attempts: 0, firstAttemptAt: Date.now(), acknowledgedAt: null, acknowledgedBy: null };
    sent.set(wamid, event);
    for (let failures = 0; !isGivingUp; failures += 1) {
      await acquireSlot();
      const target = balancer.pick();
      event.attempts += 1;
      attempts += 1;
      inFlightByTarget.set(target, (inFlightByTarget.get(target) ?? 0) + 1);
      const status = await post(`${target}/webhooks/whatsapp`, raw, headers).finally(() => {
        inFlightByTarget.set(target, inFlightByTarget.get(target)! - 1);
        releaseSlot();
      });
      if (status === 200) {
        event.acknowledgedAt = Date.now();
        event.acknowledgedBy = target;
        acknowledged += 1;
        notify();
        return;
      }
      refusals[status] = (refusals[status] ?? 0) + 1;
      if (status === 'network') balancer.leaveOut(target);
      await new Promise((resolve) => setTimeout(resolve, retryDelayMs(failures, firstRetryDelayMs, maxRetryDelayMs)));
    }
  }

  async function acquireSlot(): Promise<void> {
    if (inFlight < maxConcurrentRequests) {
      inFlight += 1;
      return;
    }
    // The releasing request hands its slot over: inFlight stays as it is.
    await new Promise<void>((resolve) => waitingForSlot.push(resolve));
  }

  function releaseSlot(): void {
    const next = waitingForSlot.shift();
    if (next) next();
    else inFlight -= 1;
  }

  async function post(url: string, raw: string, headers: Record<string, string>): Promise<string | 200> {
    try {
      const response = await fetch(url, { method: 'POST', headers, body: raw, signal: AbortSignal.timeout(requestTimeoutMs) });
      await response.arrayBuffer();
      return response.status === 200 ? 200 : String(response.status);
    } catch (error) {
      return (error as Error).name === 'TimeoutError' ? 'timeout' : 'network';
    }
  }

  function notify(): void {
    const waiters = wakeWaiters;
    wakeWaiters = [];
    for (const waiter of waiters) waiter();
  }

  function report(): MetaSenderReport {
    const latencies = [...sent.values()]
      .filter((event) => event.acknowledgedAt !== null)
      .map((event) => event.acknowledgedAt! - event.firstAttemptAt)
      .sort((a, b) => a - b);
    const percentile = (share: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * share))] ?? 0;
    return {
      generated: sent.size,
      acknowledged,
      unacknowledged: sent.size - acknowledged,
      attempts,
      retries: attempts - sent.size,
      refusals: { ...refusals },
      maxAttemptsForOneEvent: Math.max(0, ...[...sent.values()].map((event) => event.attempts)),
      acknowledgeLatencyMs: { p50: percentile(0.5), p99: percentile(0.99), max: latencies.at(-1) ?? 0 },
    };
  }

  return {
    start() {
      if (isGenerating) return;
      isGenerating = true;
      startedAt = Date.now();
      ticker = setInterval(generate, TICK_MS);
    },
    setTargets: (next) => balancer.setTargets(next),
    events: () => sent,
    acknowledgedCount: () => acknowledged,
    inFlight: (target) => (target === undefined ? inFlight : (inFlightByTarget.get(target) ?? 0)),
    queued: () => waitingForSlot.length,
    acknowledgedBetween: (from, to) => [...sent.values()].filter((event) => event.acknowledgedAt !== null && event.acknowledgedAt >= from && event.acknowledgedAt < to),
    async waitForAcknowledgementAfter(since, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const times = [...sent.values()].flatMap((event) => (event.acknowledgedAt !== null && event.acknowledgedAt >= since ? [event.acknowledgedAt] : []));
        if (times.length > 0) return Math.min(...times);
        if (Date.now() > deadline) throw new Error(`nothing acknowledged within ${timeoutMs} ms: ${JSON.stringify(report())}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    refusalCount: () => Object.values(refusals).reduce((sum, count) => sum + count, 0),
    async waitForAcknowledged(count, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (acknowledged < count) {
        if (Date.now() > deadline) throw new Error(`only ${acknowledged} of ${count} events acknowledged within ${timeoutMs} ms: ${JSON.stringify(report())}`);
        await new Promise<void>((resolve) => {
          wakeWaiters.push(resolve);
          setTimeout(resolve, 100);
        });
      }
    },
    async finish(drainTimeoutMs = 20_000) {
      isGenerating = false;
      if (ticker) clearInterval(ticker);
      const deadline = Date.now() + drainTimeoutMs;
      while (deliveries.size > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      isGivingUp = true;
      // Attempts in flight still count if they come back 200: wait for them to settle.
      await Promise.all([...deliveries]);
      return report();
    },
    report,
  };
}
