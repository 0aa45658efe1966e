import type { FastifyRequest } from 'fastify';
import { AppError } from '../../errors.js';
import { readRequestActor } from './request-actor.js';
import type { RequestActor } from './request-actor.js';

/** Staff with audit.read, and the business's services (a SIEM, a witness) with an `audit:read` key. */
export const readAuditAccess = { permission: 'audit.read', apiKeyScope: 'audit:read' } as const;
/** Starting work on the server is for signed-in staff only. */
export const verifyAuditAccess = { permission: 'audit.read' } as const;
/** The whole log at once: like every export, it needs a recent second factor in a session. */
export const exportAuditAccess = { permission: 'audit.read', apiKeyScope: 'audit:read', stepUp: true } as const;

export function requireRequestActor(request: FastifyRequest): RequestActor {
  const actor = readRequestActor(request);
  // The guard admits no anonymous caller to these routes; this is the belt to its braces.
  if (!actor) throw new AppError('UNAUTHENTICATED', 'Sign in, or send an API key.');
  return actor;
}
