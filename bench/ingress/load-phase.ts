import autocannon from 'autocannon';
import type { WebhookBodySource } from './webhook-body-source.js';

export interface LoadPhaseResult {
  durationSeconds: number;
  /** Requests written to a socket. */
  sent: number;
  /** Responses received, whatever their status. */
  answered: number;
  /** 2xx responses: for Rampart, events it acknowledged as durably stored. */
  acknowledged: number;
  non2xx: number;
  /** Response count by status code, e.g. { "200": 41000 }. */
  statusCounts: Record<string, number>;
  /** Connection errors and timeouts. */
  errors: number;
  timeouts: number;
  /** Acknowledged events per second. */
  eventsPerSecond: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number };
}

export interface LoadPhaseOptions {
  /**
   * Base URL of the target, or of several (then connection i goes to url i mod n, as autocannon
   * does for a list); requests go to `/webhooks/whatsapp`.
   */
  url: string | readonly string[];
  connections: number;
  durationSeconds: number;
  bodies: WebhookBodySource;
}

/** One autocannon run: every request is a distinct, freshly signed webhook from `bodies`. */
export async function runLoadPhase({ url, connections, durationSeconds, bodies }: LoadPhaseOptions): Promise<LoadPhaseResult> {
  const urls = (typeof url === 'string' ? [url] : url).map((base) => `${base}/webhooks/whatsapp`);
  const result = await autocannon({
    // autocannon takes a list of URLs (README: "More than one URL is allowed"); its types say string only.
    url: (urls.length === 1 ? urls[0]! : urls) as string,
    connections,
    duration: durationSeconds,
    method: 'POST',
    requests: [
      {
        setupRequest: (request) => {
          const { body, signature } = bodies.next();
          return {
            ...request,
            method: 'POST',
            body,
            headers: { ...request.headers, 'content-type': 'application/json', 'x-hub-signature-256': signature },
          };
        },
      },
    ],
  });
  const statusCounts = Object.fromEntries(
    Object.entries(result.statusCodeStats ?? {}).map(([code, stats]) => [code, stats.count ?? 0]),
  );
  return {
    durationSeconds: result.duration,
    sent: result.requests.sent,
    answered: result.requests.total,
    acknowledged: result['2xx'],
    non2xx: result.non2xx,
    statusCounts,
    errors: result.errors,
    timeouts: result.timeouts,
    eventsPerSecond: result.duration > 0 ? result['2xx'] / result.duration : 0,
    latencyMs: {
      p50: result.latency.p50,
      p90: result.latency.p90,
      p99: result.latency.p99,
      max: result.latency.max,
      mean: result.latency.mean,
    },
  };
}
