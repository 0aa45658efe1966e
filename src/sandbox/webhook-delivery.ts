import type { Clock } from '../clock.js';
import { signWebhookBody } from '../ingress/signature.js';
import type { Logger } from '../logger.js';
import { serialiseLikeMeta } from './meta-json.js';
import type { TimerSet } from './timer-set.js';

export interface DeliveryOutcome {
  /** The receiver's HTTP status; null when it could not be reached (or no webhook URL is set). */
  status: number | null;
  /** Meta counts only a 200 as delivered; anything else is retried. */
  isAcknowledged: boolean;
}

export interface DeliveryStats {
  /** POSTs attempted, retries included. */
  attempts: number;
  /** Webhooks answered 200. */
  delivered: number;
  /** Webhooks waiting for a retry or in flight. */
  pending: number;
  /** Attempts that were not answered 200. */
  failedAttempts: number;
  /** Webhooks dropped after the retry period ended (Meta: 7 days). */
  abandoned: number;
  inFlight: number;
}

export interface RetrySchedule {
  delaysMs: readonly number[];
  thenEveryMs: number;
  giveUpAfterMs: number;
}

export interface WebhookDeliveryOptions {
  getWebhookUrl(): string | null;
  appSecret: string;
  retry: RetrySchedule;
  timeoutMs: number;
  maxConcurrent: number;
  clock: Clock;
  timers: TimerSet;
  logger: Logger;
}

interface PendingDelivery {
  id: number;
  body: Buffer;
  signature: string;
  attempts: number;
  firstAttemptAt: number;
  /** Bumped whenever a retry is scheduled or forced, so a stale timer does nothing. */
  generation: number;
  isInFlight: boolean;
}

export type WebhookDelivery = ReturnType<typeof createWebhookDelivery>;

/**
 * Posts webhooks as Meta does: serialised with Meta's escaping, signed over those exact bytes,
 * several in flight at once, and retried on anything but 200 along the schedule. Pending
 * deliveries live in memory for the emulator's lifetime.
 */
export function createWebhookDelivery(options: WebhookDeliveryOptions) {
  const { retry, clock, timers, logger } = options;
  const pending = new Map<number, PendingDelivery>();
  const counters = { attempts: 0, delivered: 0, failedAttempts: 0, abandoned: 0 };
  const slots = createSlots(options.maxConcurrent);
  const closing = new AbortController();
  let nextId = 1;

  async function post(delivery: PendingDelivery): Promise<DeliveryOutcome> {
    const url = options.getWebhookUrl();
    if (url === null) return { status: null, isAcknowledged: false };
    await slots.acquire();
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-hub-signature-256': delivery.signature,
          'user-agent': 'facebookexternalua',
        },
        body: delivery.body,
        signal: AbortSignal.any([closing.signal, AbortSignal.timeout(options.timeoutMs)]),
      });
      await response.arrayBuffer().catch(() => undefined);
      return { status: response.status, isAcknowledged: response.status === 200 };
    } catch {
      return { status: null, isAcknowledged: false };
    } finally {
      slots.release();
    }
  }

  async function attempt(delivery: PendingDelivery): Promise<DeliveryOutcome> {
    delivery.attempts += 1;
    delivery.isInFlight = true;
    counters.attempts += 1;
    const outcome = await post(delivery);
    delivery.isInFlight = false;
    if (closing.signal.aborted) return outcome;
    if (outcome.isAcknowledged) {
      pending.delete(delivery.id);
      counters.delivered += 1;
    } else {
      counters.failedAttempts += 1;
      logger.debug({ deliveryId: delivery.id, attempt: delivery.attempts, status: outcome.status }, 'webhook not acknowledged; will retry');
      scheduleRetry(delivery);
    }
    return outcome;
  }

  function scheduleRetry(delivery: PendingDelivery): void {
    const waitMs = retry.delaysMs[delivery.attempts - 1] ?? retry.thenEveryMs;
    if (clock.now() + waitMs - delivery.firstAttemptAt > retry.giveUpAfterMs) {
      pending.delete(delivery.id);
      counters.abandoned += 1;
      logger.warn({ deliveryId: delivery.id, attempts: delivery.attempts }, 'webhook dropped after the retry period, as Meta does');
      return;
    }
    const generation = ++delivery.generation;
    timers.after(waitMs, () => {
      if (delivery.generation === generation && pending.has(delivery.id)) void attempt(delivery);
    });
  }

  return {
    /** Sends one webhook; resolves with the first attempt's outcome while retries go on. */
    deliver(payload: unknown): Promise<DeliveryOutcome> {
      const body = Buffer.from(serialiseLikeMeta(payload), 'utf8');
      const delivery: PendingDelivery = {
        id: nextId++,
        body,
        signature: signWebhookBody(options.appSecret, body),
        attempts: 0,
        firstAttemptAt: clock.now(),
        generation: 0,
        isInFlight: false,
      };
      pending.set(delivery.id, delivery);
      return attempt(delivery);
    },
    /** A new webhook URL was set: every waiting delivery is tried again now, as Meta does after a fix. */
    retryPendingNow(): void {
      for (const delivery of pending.values()) {
        if (delivery.isInFlight) continue;
        delivery.generation += 1;
        void attempt(delivery);
      }
    },
    stats(): DeliveryStats {
      const inFlight = [...pending.values()].filter((delivery) => delivery.isInFlight).length;
      return { ...counters, pending: pending.size, inFlight };
    },
    close(): void {
      closing.abort();
    },
  };
}

/** A counting semaphore: Meta sends concurrently, but not without bound. */
function createSlots(limit: number) {
  let used = 0;
  const waiting: (() => void)[] = [];
  return {
    async acquire(): Promise<void> {
      if (used < limit) {
        used += 1;
        return;
      }
      await new Promise<void>((resolve) => waiting.push(resolve));
    },
    release(): void {
      const next = waiting.shift();
      if (next) next();
      else used -= 1;
    },
  };
}
