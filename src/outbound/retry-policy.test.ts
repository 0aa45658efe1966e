import { describe, expect, it } from 'vitest';
import { createRetryPolicy } from './retry-policy.js';

const policy = createRetryPolicy({ maxAttempts: 5, baseDelayMs: 1_000, maxDelayMs: 60_000, random: () => 0.5 });
const metaError = (code: number, httpStatus = 400) => ({ kind: 'error' as const, httpStatus, code, title: 'OAuthException' });

describe('retry policy', () => {
  it.each([131047, 131026, 131051, 132000, 132001, 132015, 132016, 100])('never retries code %i', (code) => {
    expect(policy.decide(metaError(code), 1).action).toBe('fail');
  });

  it('records an opt-out for 131050 and does not retry', () => {
    expect(policy.decide(metaError(131050), 1)).toMatchObject({ action: 'fail', isOptOut: true });
  });

  it.each([130429, 131000, 131016, 133004, 131057, 1, 2, 4, 80007])('retries code %i with a delay', (code) => {
    const decision = policy.decide(metaError(code), 1);
    expect(decision.action).toBe('retry');
    if (decision.action === 'retry') expect(decision.delayMs).toBeGreaterThan(0);
  });

  it('retries 5xx, 429 and network errors', () => {
    expect(policy.decide({ kind: 'error', httpStatus: 503, code: null, title: 'HTTP 503' }, 1).action).toBe('retry');
    expect(policy.decide({ kind: 'error', httpStatus: 429, code: null, title: 'HTTP 429' }, 1).action).toBe('retry');
    expect(policy.decide({ kind: 'network', reason: 'ECONNRESET' }, 1).action).toBe('retry');
  });

  it('refuses other 4xx without a known code for good', () => {
    expect(policy.decide({ kind: 'error', httpStatus: 404, code: null, title: 'HTTP 404' }, 1).action).toBe('fail');
  });

  it('backs off the pair limit 4^n seconds for that recipient', () => {
    expect(policy.decide(metaError(131056), 1)).toMatchObject({ action: 'retry', delayMs: 4_000 });
    expect(policy.decide(metaError(131056), 3)).toMatchObject({ action: 'retry', delayMs: 64_000 });
  });

  it('pauses the number on the spam limit for an hour and on a dead token until renewed', () => {
    expect(policy.decide(metaError(131048), 1)).toMatchObject({ action: 'pause-number', pauseMs: 3_600_000 });
    expect(policy.decide(metaError(190, 401), 1)).toMatchObject({ action: 'pause-number', pauseMs: null });
  });

  it('gives up a retryable failure after the last attempt', () => {
    expect(policy.decide(metaError(130429), 4).action).toBe('retry');
    expect(policy.decide(metaError(130429), 5)).toMatchObject({ action: 'fail', isOptOut: false });
  });

  it('keeps backoff within its bounds and growing ceilings', () => {
    const jittered = createRetryPolicy({ baseDelayMs: 1_000, maxDelayMs: 60_000, random: Math.random });
    for (let attempt = 1; attempt <= 40; attempt += 1) {
      const delay = jittered.backoff(attempt);
      expect(delay).toBeGreaterThanOrEqual(500);
      expect(delay).toBeLessThanOrEqual(Math.min(60_000, 1_000 * 2 ** attempt));
    }
  });
});
