import type { SecurityEvent } from '../identity/security-event.js';
import type { AuditEntryInput } from './audit-entry.js';

/**
 * An identity security event (login, lockout, MFA change, role change…) as an audit entry. The
 * resource is the user the event is about when the details name one, else the acting user;
 * anonymous callers (a failed login) are recorded as the `anonymous` system actor.
 */
export function toAuditEntry(event: SecurityEvent): AuditEntryInput {
  const actor =
    event.actor.kind === 'user' || event.actor.kind === 'api-key'
      ? { type: event.actor.kind, id: event.actor.id }
      : { type: 'system' as const, id: event.actor.kind };
  const subjectUser = typeof event.details.userId === 'string' ? event.details.userId : event.actor.kind === 'user' ? event.actor.id : null;
  const details = Object.fromEntries(Object.entries(event.details).filter(([, value]) => value !== undefined));
  return {
    actor,
    action: event.action,
    resource: subjectUser ? { type: 'user', id: subjectUser } : { type: 'identity', id: event.action.split('.')[0] ?? 'auth' },
    sourceAddress: event.sourceAddress,
    requestId: event.requestId,
    outcome: event.outcome === 'failure' ? 'failed' : event.outcome,
    details,
  };
}
