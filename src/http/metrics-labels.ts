/**
 * Label values for metrics, each from a small closed set, so no label can carry what a caller
 * sent: the route is the registered pattern (`/api/v1/media/:id`), never the URL, and anything
 * unexpected collapses to `other`. Labels never hold numbers, names, emails or message text.
 */
import type { FastifyRequest } from 'fastify';

const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
/** Internal job kinds are constants like `send-message`; anything else is not ours to expose. */
const JOB_KIND = /^[a-z][a-z0-9-]{0,39}$/;

export function toMethodLabel(method: string): string {
  return KNOWN_METHODS.has(method) ? method : 'other';
}

/** The pattern of the route that answered; `unmatched` for requests no route took (404s, malformed URLs). */
export function toRouteLabel(request: FastifyRequest): string {
  const pattern = request.routeOptions.url;
  return typeof pattern === 'string' && pattern.length > 0 ? pattern : 'unmatched';
}

export function toStatusClassLabel(statusCode: number): string {
  return statusCode >= 100 && statusCode < 600 ? `${Math.floor(statusCode / 100)}xx` : 'other';
}

export function toJobKindLabel(kind: string): string {
  return JOB_KIND.test(kind) ? kind : 'other';
}
