/**
 * Prometheus metrics for one gateway, in a registry of its own (several apps in one process, as in
 * the tests, never share counters): HTTP requests by method, route pattern and status class, with
 * their durations; webhook events stored, by kind; gauges read at scrape time (metrics-gauges.ts);
 * and the process's default metrics. Every label comes from a closed set (metrics-labels.ts): no
 * number, name, email, URL or message text can reach the exposition.
 */
import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import type { Clock } from '../clock.js';
import type { StoreResult } from '../conversations/event-store.js';
import type { IngestService } from '../ingress/ingest-service.js';
import type { IngressEvent } from '../ingress/ingress-event.js';
import { registerScrapeGauges } from './metrics-gauges.js';
import { toMethodLabel, toRouteLabel, toStatusClassLabel } from './metrics-labels.js';
import type { MetricsSources } from './metrics-sources.js';

const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const EVENT_KINDS: ReadonlySet<string> = new Set<IngressEvent['kind']>(['message', 'status', 'event']);

export interface GatewayMetricsOptions {
  sources: MetricsSources;
  clock: Clock;
  logger: FastifyBaseLogger;
}

export function createGatewayMetrics({ sources, clock, logger }: GatewayMetricsOptions) {
  const registry = new Registry();
  const registers = [registry];
  collectDefaultMetrics({ register: registry });
  const gauges = registerScrapeGauges({ registry, sources, clock, logger });

  const httpLabels = ['method', 'route', 'status_class'] as const;
  const httpRequests = new Counter({ name: 'rampart_http_requests_total', help: 'HTTP requests answered, by method, route pattern and status class.', labelNames: httpLabels, registers });
  const httpDuration = new Histogram({
    name: 'rampart_http_request_duration_seconds',
    help: 'Time from receiving a request to answering it, by method, route pattern and status class.',
    labelNames: httpLabels,
    buckets: DURATION_BUCKETS,
    registers,
  });
  const webhookEvents = new Counter({
    name: 'rampart_webhook_events_total',
    help: 'Webhook events durably stored and acknowledged to Meta, by kind (message, status, event); includes duplicates, which were stored earlier.',
    labelNames: ['kind'] as const,
    registers,
  });
  const webhookDuplicates = new Counter({ name: 'rampart_webhook_events_duplicate_total', help: 'Of the acknowledged webhook events, those already stored (Meta re-sent them).', registers });

  /** For `createApp({ onResponse })`: one observation per answered request. */
  function recordResponse(request: FastifyRequest, reply: FastifyReply): void {
    const labels = { method: toMethodLabel(request.method), route: toRouteLabel(request), status_class: toStatusClassLabel(reply.statusCode) };
    httpRequests.inc(labels);
    httpDuration.observe(labels, reply.elapsedTime / 1000);
  }

  /** Counts events once their webhook's batch committed: what was acknowledged is what was stored. */
  function countStoredEvents(events: readonly IngressEvent[], result: StoreResult): void {
    for (const event of events) webhookEvents.inc({ kind: EVENT_KINDS.has(event.kind) ? event.kind : 'other' });
    if (result.duplicates > 0) webhookDuplicates.inc(result.duplicates);
  }

  /** The ingest service, counting what it stored. */
  function instrumentIngest(ingest: IngestService): IngestService {
    return {
      ...ingest,
      async ingest(events) {
        const result = await ingest.ingest(events);
        countStoredEvents(events, result);
        return result;
      },
    };
  }

  /** The exposition for one scrape; its gauges read their sources afresh, once each. */
  async function renderExposition(): Promise<string> {
    gauges.beginScrape();
    return registry.metrics();
  }

  return { registry, renderExposition, recordResponse, countStoredEvents, instrumentIngest };
}

export type GatewayMetrics = ReturnType<typeof createGatewayMetrics>;

/**
 * GET /metrics in Prometheus text format. Registered inside the API plugin, so the one access guard
 * applies: an API key with `metrics:read` (Prometheus's `authorization.credentials_file`) or a
 * signed-in session with settings.manage. Hidden from the OpenAPI document (it is not JSON).
 */
export async function registerMetricsRoute(api: FastifyInstance, { metrics }: { metrics: Pick<GatewayMetrics, 'registry' | 'renderExposition'> }): Promise<void> {
  api.get('/metrics', { config: { access: { permission: 'settings.manage', apiKeyScope: 'metrics:read' } }, schema: { hide: true } }, async (_request, reply) => {
    const exposition = await metrics.renderExposition();
    return reply.header('content-type', metrics.registry.contentType).header('cache-control', 'no-store').send(exposition);
  });
}
