import type { AddressClass } from './address-class.js';
import type { ExchangeFailure, ExchangeResult } from './pinned-request.js';
import { parseRetryAfter } from './retry-schedule.js';
import type { RetrySchedule } from './retry-schedule.js';

export type RetryReason =
  | 'dns-error'
  | 'connect-timeout'
  | 'timeout'
  | 'network-error'
  | 'tls-error'
  | 'invalid-response'
  | 'redirect'
  | 'request-timeout'
  | 'rate-limited'
  | 'server-error'
  | 'client-error';

export type PermanentReason =
  /** 410 Gone: the receiver says this endpoint is retired. */
  | 'gone'
  /** The destination resolved to an address the SSRF policy refuses. */
  | 'destination-refused'
  /** No endpoint of that name is configured (any more). */
  | 'unknown-endpoint'
  /** The event cannot be sent as it is (bad id or type, not JSON, too large); retrying cannot help. */
  | 'invalid-event';

/**
 * What one attempt at one endpoint came to. `detail` is in Rampart's own words (status, error
 * code, address class) and safe to store as the job's last error: never a secret, a query string
 * or payload content.
 */
export type DeliveryOutcome =
  | { kind: 'delivered'; endpoint: string; status: number }
  | { kind: 'retry'; endpoint: string; reason: RetryReason; status: number | null; retryAfterMs: number | null; detail: string }
  | { kind: 'failed-permanently'; endpoint: string; reason: PermanentReason; addressClass?: AddressClass; detail: string };

/**
 * Maps an HTTP exchange to an outcome. 2xx delivers; 410 retires the endpoint for this event;
 * every other status is retried (Standard Webhooks receivers may fix a 4xx), redirects included:
 * they are never followed, since the new location was not vetted.
 */
export function judgeExchange(endpoint: string, result: ExchangeResult, now: number, schedule: RetrySchedule): DeliveryOutcome {
  if (result.kind === 'failed') {
    const code = result.code === null ? '' : ` (${result.code})`;
    return retry(endpoint, result.reason, null, null, `${describeFailure(result.reason)}${code}`);
  }
  const { status } = result;
  if (status >= 200 && status < 300) return { kind: 'delivered', endpoint, status };
  if (status === 410) {
    return { kind: 'failed-permanently', endpoint, reason: 'gone', detail: 'HTTP 410: the receiver retired this endpoint' };
  }
  const retryAfterMs = parseRetryAfter(result.retryAfter, now, schedule);
  if (status >= 300 && status < 400) {
    return retry(endpoint, 'redirect', status, retryAfterMs, `HTTP ${status}: redirect not followed; configure the final URL`);
  }
  if (status === 408) return retry(endpoint, 'request-timeout', status, retryAfterMs, 'HTTP 408');
  if (status === 429) return retry(endpoint, 'rate-limited', status, retryAfterMs, 'HTTP 429');
  if (status >= 400 && status < 500) {
    return retry(endpoint, 'client-error', status, retryAfterMs, `HTTP ${status}: the receiver refused; retrying in case it is fixed`);
  }
  return retry(endpoint, 'server-error', status, retryAfterMs, `HTTP ${status}`);
}

function retry(endpoint: string, reason: RetryReason, status: number | null, retryAfterMs: number | null, detail: string): DeliveryOutcome {
  return { kind: 'retry', endpoint, reason, status, retryAfterMs, detail };
}

function describeFailure(reason: ExchangeFailure): string {
  switch (reason) {
    case 'connect-timeout':
      return 'no connection within the connect timeout';
    case 'timeout':
      return 'no response within the timeout';
    case 'tls-error':
      return 'TLS handshake or certificate check failed';
    case 'invalid-response':
      return 'the response was not valid HTTP';
    case 'network-error':
      return 'network error';
  }
}
