import { performance } from 'node:perf_hooks';
import type { SecureContextOptions } from 'node:tls';
import type { Clock } from '../clock.js';
import { AppError } from '../errors.js';
import type { Logger } from '../logger.js';
import { judgeExchange } from './delivery-outcome.js';
import type { DeliveryOutcome } from './delivery-outcome.js';
import { parseDestinationAllowlist } from './destination-allowlist.js';
import type { DestinationAllowlist } from './destination-allowlist.js';
import { ALLOWED_HOSTS_SETTING, resolveWithSystemResolver, vetDestination } from './destination-policy.js';
import type { ResolveHost } from './destination-policy.js';
import { acceptsEventType, prepareEndpoint } from './forwarding-endpoint.js';
import type { ForwardingEndpoint, PreparedEndpoint } from './forwarding-endpoint.js';
import { postToPinnedAddress } from './pinned-request.js';
import { defaultRetrySchedule } from './retry-schedule.js';
import type { RetrySchedule } from './retry-schedule.js';
import { serialiseWebhookMessage } from './webhook-message.js';
import type { ForwardingEvent } from './webhook-message.js';
import { createWebhookHeaders } from './webhook-signature.js';

export interface ForwardingLimits {
  connectTimeoutMs: number;
  /** Whole attempt: name resolution, connection, response headers, capped body. */
  timeoutMs: number;
  maxBodyBytes: number;
  maxResponseBytes: number;
}

export const defaultForwardingLimits: ForwardingLimits = {
  connectTimeoutMs: 5_000,
  timeoutMs: 10_000,
  maxBodyBytes: 256 * 1024,
  maxResponseBytes: 4 * 1024,
};

export interface ForwarderOptions {
  endpoints: readonly ForwardingEndpoint[];
  /** RAMPART_FORWARD_ALLOWED_HOSTS: host names and address ranges that may be internal. */
  allowedDestinations?: readonly string[];
  /** Defaults to the system resolver; tests inject names. */
  resolveHost?: ResolveHost;
  clock: Clock;
  logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  limits?: Partial<ForwardingLimits>;
  /** Bounds for a receiver's Retry-After. */
  retrySchedule?: RetrySchedule;
  /** Extra trusted CA certificates for https endpoints (a private CA); Node's roots otherwise. */
  ca?: SecureContextOptions['ca'];
}

const USER_AGENT = 'Rampart-Webhooks/1';

/**
 * Signs and sends events to the configured endpoints, one attempt per call; the outbox owns
 * retries and acts on the outcome. Throws AppError('CONFIG_INVALID') listing every problem with
 * the endpoints or the allowlist. Never throws from `deliver`/`deliverTo`: every failure is an outcome.
 */
export function createForwarder(options: ForwarderOptions) {
  const limits = { ...defaultForwardingLimits, ...options.limits };
  const schedule = options.retrySchedule ?? defaultRetrySchedule;
  const resolveHost = options.resolveHost ?? resolveWithSystemResolver;
  const { clock, logger } = options;
  const { allowlist, endpoints } = prepareAll(options);

  /** Names of the endpoints that take this event type; the outbox may queue one job per name. */
  function listEndpointsFor(eventType: string): string[] {
    return [...endpoints.values()].filter((endpoint) => acceptsEventType(endpoint, eventType)).map((endpoint) => endpoint.name);
  }

  /** One attempt at every endpoint that takes the event's type. */
  async function deliver(event: ForwardingEvent): Promise<DeliveryOutcome[]> {
    return Promise.all(listEndpointsFor(event.type).map((name) => deliverTo(name, event)));
  }

  /** One attempt at one endpoint. */
  async function deliverTo(endpointName: string, event: ForwardingEvent): Promise<DeliveryOutcome> {
    const startedAt = performance.now();
    const outcome = await attempt(endpointName, event, startedAt);
    logOutcome(outcome, event, Math.round(performance.now() - startedAt));
    return outcome;
  }

  async function attempt(endpointName: string, event: ForwardingEvent, startedAt: number): Promise<DeliveryOutcome> {
    const endpoint = endpoints.get(endpointName);
    if (endpoint === undefined) {
      return { kind: 'failed-permanently', endpoint: endpointName, reason: 'unknown-endpoint', detail: 'no endpoint of this name is configured' };
    }
    const message = serialiseWebhookMessage(event);
    if (!message.isValid) return invalidEvent(endpoint, message.problem);
    if (message.body.length > limits.maxBodyBytes) {
      return invalidEvent(endpoint, `body of ${message.body.length} bytes exceeds the ${limits.maxBodyBytes}-byte limit`);
    }
    const verdict = await withDeadline(vetDestination(endpoint.url, { allowlist, resolveHost }), limits.timeoutMs);
    if (verdict === null) return retryBeforeSending(endpoint, 'timeout', 'name resolution did not finish within the timeout');
    if (verdict.kind === 'unresolved') {
      return retryBeforeSending(endpoint, 'dns-error', `host name did not resolve${verdict.code === null ? '' : ` (${verdict.code})`}`);
    }
    if (verdict.kind === 'refused') {
      const { addressClass, detail } = verdict;
      return { kind: 'failed-permanently', endpoint: endpoint.name, reason: 'destination-refused', addressClass, detail };
    }
    const signatureHeaders = createWebhookHeaders(endpoint.keys, {
      messageId: event.id,
      timestampSeconds: Math.floor(clock.now() / 1000),
      body: message.body,
    });
    const result = await postToPinnedAddress({
      url: endpoint.url,
      addresses: verdict.addresses,
      headers: { 'content-type': 'application/json', 'user-agent': USER_AGENT, ...signatureHeaders },
      body: message.body,
      connectTimeoutMs: limits.connectTimeoutMs,
      timeoutMs: Math.max(1, limits.timeoutMs - (performance.now() - startedAt)),
      maxResponseBytes: limits.maxResponseBytes,
      ca: options.ca,
    });
    return judgeExchange(endpoint.name, result, clock.now(), schedule);
  }

  function logOutcome(outcome: DeliveryOutcome, event: ForwardingEvent, durationMs: number): void {
    // Ids, type, status and our own words only: never the URL, a secret or the payload.
    const fields = { endpoint: outcome.endpoint, eventId: event.id, eventType: event.type, outcome: outcome.kind, durationMs };
    if (outcome.kind === 'delivered') logger.info({ ...fields, status: outcome.status }, 'event forwarded');
    else if (outcome.kind === 'retry') logger.warn({ ...fields, reason: outcome.reason, status: outcome.status, detail: outcome.detail }, 'event forwarding will be retried');
    else logger.error({ ...fields, reason: outcome.reason, detail: outcome.detail }, 'event forwarding failed permanently');
  }

  return { deliver, deliverTo, listEndpointsFor };
}

export type Forwarder = ReturnType<typeof createForwarder>;

function prepareAll(options: ForwarderOptions): { allowlist: DestinationAllowlist; endpoints: Map<string, PreparedEndpoint> } {
  const problems: string[] = [];
  const { allowlist, invalidEntries } = parseDestinationAllowlist(options.allowedDestinations ?? []);
  if (invalidEntries.length > 0) {
    problems.push(`${ALLOWED_HOSTS_SETTING}: not a host name, IP address or CIDR range: ${invalidEntries.join(', ')}`);
  }
  const endpoints = new Map<string, PreparedEndpoint>();
  for (const endpoint of options.endpoints) {
    const prepared = prepareEndpoint(endpoint, allowlist);
    if (endpoints.has(endpoint.name)) problems.push(`endpoint ${endpoint.name}: the name is used twice`);
    if (!prepared.isValid) problems.push(...prepared.problems.map((problem) => `endpoint ${endpoint.name} ${problem}`));
    else endpoints.set(endpoint.name, prepared.endpoint);
  }
  if (problems.length > 0) {
    const lines = problems.map((problem) => `  - ${problem}`).join('\n');
    throw new AppError('CONFIG_INVALID', `Forwarding endpoints are invalid:\n${lines}`);
  }
  return { allowlist, endpoints };
}

function invalidEvent(endpoint: PreparedEndpoint, detail: string): DeliveryOutcome {
  return { kind: 'failed-permanently', endpoint: endpoint.name, reason: 'invalid-event', detail };
}

function retryBeforeSending(endpoint: PreparedEndpoint, reason: 'timeout' | 'dns-error', detail: string): DeliveryOutcome {
  return { kind: 'retry', endpoint: endpoint.name, reason, status: null, retryAfterMs: null, detail };
}

/** The promise's value, or null when it takes longer than `ms` (the work is abandoned, not cancelled). */
async function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T | null> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), ms);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
