import type { GraphSendResult } from './graph-client.js';

/** What the sender does after a send that Meta did not accept. */
export type RetryDecision =
  | { action: 'retry'; delayMs: number; reason: string }
  | { action: 'fail'; reason: string; isOptOut: boolean }
  /** Stop sending from this number (spam limit, dead token); the job waits, it is not a failed attempt. */
  | { action: 'pause-number'; pauseMs: number | null; reason: string };

export interface RetryPolicyOptions {
  /** Attempts after which a retryable failure becomes final. */
  maxAttempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  random?: () => number;
}

const TRANSIENT_CODES = new Set([1, 2, 131000, 131016, 133004, 131057]);
const API_RATE_CODES = new Set([4, 80007, 130429]);
/** Codes that a retry cannot fix: the request, the recipient or the window must change. */
const FINAL_CODES: Record<number, string> = {
  131047: 'more than 24 hours since the customer last wrote; send a template',
  131026: 'message undeliverable to this recipient',
  131050: 'the recipient stopped marketing messages',
  131051: 'unsupported message type',
  132000: 'template parameters do not match the template',
  132001: 'template does not exist or is not approved in this language',
  132015: 'template is paused',
  132016: 'template is disabled',
  100: 'Meta refused the request as invalid',
};
/** Our words for a code Meta reported (the reason shown to the API caller); never Meta's details. */
export function describeMetaErrorCode(code: number | null): string {
  if (code === null) return 'Meta reported the message as failed without a code';
  return FINAL_CODES[code] !== undefined ? `${FINAL_CODES[code]} (${code})` : `Meta reported error ${code}`;
}

const PAIR_RATE_CODE = 131056;
const SPAM_RATE_CODE = 131048;
const MARKETING_LIMIT_CODE = 131049;
const TOKEN_EXPIRED_CODE = 190;
const HOUR_MS = 3_600_000;

/**
 * Decides by Meta's error code, not by HTTP status alone: throughput (130429) and transient
 * errors back off with jitter; the pair limit (131056) backs off 4^n seconds for that recipient
 * only; the 24-hour window, undeliverable recipients, opt-outs and template errors are final; a
 * spam limit pauses the number; an expired token pauses it until an operator acts.
 */
export function createRetryPolicy(options: RetryPolicyOptions = {}) {
  const maxAttempts = options.maxAttempts ?? 10;
  const baseDelayMs = options.baseDelayMs ?? 1_000;
  const maxDelayMs = options.maxDelayMs ?? 10 * 60_000;
  const random = options.random ?? Math.random;

  /** Exponential backoff with full jitter: spreads retries of many jobs that failed together. */
  function backoff(attempt: number): number {
    const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** Math.min(attempt, 30));
    return Math.max(baseDelayMs / 2, Math.floor(random() * ceiling));
  }

  /** `attempt` counts from 1 for the attempt that just failed. */
  function decide(result: Exclude<GraphSendResult, { kind: 'accepted' }>, attempt: number): RetryDecision {
    const retryOrGiveUp = (reason: string, delayMs: number): RetryDecision =>
      attempt >= maxAttempts ? { action: 'fail', reason: `${reason}; gave up after ${attempt} attempts`, isOptOut: false } : { action: 'retry', delayMs, reason };

    if (result.kind === 'network') return retryOrGiveUp(`network error (${result.reason})`, backoff(attempt));
    const { code, httpStatus } = result;
    if (code === TOKEN_EXPIRED_CODE) return { action: 'pause-number', pauseMs: null, reason: 'access token expired or invalid (190): renew WHATSAPP_ACCESS_TOKEN' };
    if (code === SPAM_RATE_CODE) return { action: 'pause-number', pauseMs: HOUR_MS, reason: 'spam rate limit (131048): sending paused for an hour' };
    if (code === PAIR_RATE_CODE) return retryOrGiveUp('pair rate limit (131056)', Math.min(HOUR_MS, 4 ** attempt * 1_000));
    if (code === MARKETING_LIMIT_CODE) return retryOrGiveUp('per-user marketing limit (131049)', 24 * HOUR_MS);
    if (code !== null && API_RATE_CODES.has(code)) return retryOrGiveUp(`rate limit (${code})`, backoff(attempt));
    if (code !== null && FINAL_CODES[code] !== undefined) return { action: 'fail', reason: `${FINAL_CODES[code]} (${code})`, isOptOut: code === 131050 };
    if (code !== null && TRANSIENT_CODES.has(code)) return retryOrGiveUp(`transient error (${code})`, backoff(attempt));
    if (httpStatus >= 500 || httpStatus === 429 || httpStatus === 408) return retryOrGiveUp(`HTTP ${httpStatus}`, backoff(attempt));
    return { action: 'fail', reason: code === null ? `refused with HTTP ${httpStatus}` : `refused with code ${code}`, isOptOut: false };
  }

  return { decide, backoff };
}

export type RetryPolicy = ReturnType<typeof createRetryPolicy>;
