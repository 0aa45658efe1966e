/** How long forwarding keeps trying one event at one endpoint. */
export interface RetrySchedule {
  minDelayMs: number;
  maxDelayMs: number;
  /** A backstop against a schedule made too dense; the age limit normally ends retries first. */
  maxAttempts: number;
  /** Measured from when the event was queued. */
  maxAgeMs: number;
}

const HOUR_MS = 3_600_000;

/** 5 s … 1 h between attempts, for up to 3 days (about 145 attempts on average fit in that). */
export const defaultRetrySchedule: RetrySchedule = {
  minDelayMs: 5_000,
  maxDelayMs: HOUR_MS,
  maxAttempts: 200,
  maxAgeMs: 72 * HOUR_MS,
};

/**
 * Exponential backoff with full jitter: uniform between the minimum and a ceiling that doubles
 * per attempt (10 s, 20 s, 40 s, … capped at the maximum), so endpoints that failed together do not
 * retry together. `attempt` counts from 1 for the attempt that just failed.
 */
export function nextRetryDelay(attempt: number, random: () => number = Math.random, schedule: RetrySchedule = defaultRetrySchedule): number {
  const exponent = Math.min(Math.max(Math.floor(attempt), 1), 32);
  const ceiling = Math.min(schedule.maxDelayMs, schedule.minDelayMs * 2 ** exponent);
  const fraction = Math.min(Math.max(random(), 0), 1);
  return Math.round(schedule.minDelayMs + fraction * (ceiling - schedule.minDelayMs));
}

/** A receiver's Retry-After (seconds or an HTTP date), held within the schedule's bounds. */
export function parseRetryAfter(value: string | null, now: number, schedule: RetrySchedule = defaultRetrySchedule): number | null {
  if (value === null) return null;
  const text = value.trim();
  let delayMs: number;
  if (/^\d{1,10}$/.test(text)) {
    delayMs = Number(text) * 1000;
  } else {
    const date = Date.parse(text);
    if (Number.isNaN(date) || !/[a-z]/i.test(text)) return null;
    delayMs = date - now;
  }
  return Math.min(Math.max(delayMs, schedule.minDelayMs), schedule.maxDelayMs);
}

export type NextStep = { kind: 'retry'; delayMs: number; runAt: number } | { kind: 'dead'; reason: string };

export interface RetryContext {
  /** Attempts made so far, including the one that just failed. */
  attempt: number;
  /** When the event was queued for this endpoint (ms since the epoch). */
  queuedAt: number;
  now: number;
  /** From the outcome: the receiver's Retry-After, already bounded. */
  retryAfterMs: number | null;
  /** What went wrong last, for the dead reason. */
  lastFailure: string;
}

/**
 * After a retryable failure: when to try again, or give up. Retry-After is honoured when it asks
 * for longer than the backoff; the last attempt is pulled in to land within the age limit.
 */
export function decideNextStep(context: RetryContext, random: () => number = Math.random, schedule: RetrySchedule = defaultRetrySchedule): NextStep {
  if (context.attempt >= schedule.maxAttempts) {
    return { kind: 'dead', reason: `gave up after ${context.attempt} attempts; last: ${context.lastFailure}` };
  }
  const deadline = context.queuedAt + schedule.maxAgeMs;
  const remainingMs = deadline - context.now;
  if (remainingMs <= 0) {
    return { kind: 'dead', reason: `gave up after ${formatHours(schedule.maxAgeMs)} of retries; last: ${context.lastFailure}` };
  }
  const backoffMs = nextRetryDelay(context.attempt, random, schedule);
  const delayMs = Math.min(Math.max(backoffMs, context.retryAfterMs ?? 0), remainingMs);
  return { kind: 'retry', delayMs, runAt: context.now + delayMs };
}

function formatHours(ms: number): string {
  return `${Math.round((ms / HOUR_MS) * 10) / 10} h`;
}
