import { isIP } from 'node:net';
import type { FastifyRequest } from 'fastify';
import type { AuditActor } from '../audit-entry.js';

/** Who made an `/api/v1` request, as the audit log names them: the signed-in user or the API key. */
export interface RequestActor {
  readonly actor: AuditActor;
  /** One key per actor, for per-actor throttling. */
  readonly key: string;
  readonly sourceAddress: string | null;
  readonly requestId: string;
}

/** Null only for a route the guard let through without credentials (none of the audit routes). */
export function readRequestActor(request: FastifyRequest): RequestActor | null {
  // API key names are chosen freely and may hold digits, which the entry gate refuses; the id is enough.
  const actor: AuditActor | null = request.user
    ? { type: 'user', id: request.user.userId }
    : request.principal
      ? { type: 'api-key', id: request.principal.id }
      : null;
  if (!actor) return null;
  return {
    actor,
    key: `${actor.type}:${actor.id}`,
    // The entry gate takes addresses only; anything else (a proxy's odd header) is left out rather than refused.
    sourceAddress: isIP(request.ip) === 0 ? null : request.ip,
    requestId: request.id,
  };
}
