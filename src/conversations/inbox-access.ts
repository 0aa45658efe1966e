import type { FastifyRequest } from 'fastify';
import type { AccessEntry, AuditLog } from '../audit/audit-log.js';
import type { AuditDetails, AuditEntryInput } from '../audit/audit-entry.js';
import type { Trx } from '../db/group-commit-writer.js';
import { AppError } from '../errors.js';
import { canAccessConversation } from '../identity/permissions.js';
import type { SignedInUser } from '../identity/signed-in-user.js';

/** Who asks, and from where: what every inbox call needs for its reach checks and audit entries. */
export interface InboxCaller {
  user: SignedInUser;
  sourceAddress: string;
  requestId: string;
}

/** The caller of an inbox route; the access guard has already required a signed-in user. */
export function callerOf(request: FastifyRequest): InboxCaller {
  if (!request.user) throw new AppError('UNAUTHENTICATED', 'Sign in first.');
  return { user: request.user, sourceAddress: request.ip, requestId: request.id };
}

/** "C-" + the first 8 hex characters of the contact id, upper case: a name for a conversation that needs no decryption. */
export function pseudonymOf(contactId: string): string {
  return `C-${contactId.replaceAll('-', '').slice(0, 8).toUpperCase()}`;
}

/**
 * Whether the caller reaches this conversation. Out of reach answers exactly like absent (404), so
 * an agent cannot learn which conversations exist beyond their own.
 */
export function isWithinReach(user: SignedInUser, assignedUserId: string | null, permission: 'conversations.read' | 'conversations.reply' = 'conversations.read'): boolean {
  return canAccessConversation(user, { assignedUserId }, permission);
}

export function conversationNotFound(): AppError {
  return new AppError('NOT_FOUND', 'No conversation has that id.');
}

/** Assignment is for roles that reach every conversation (supervisors, admins). */
export function hasFullReach(user: SignedInUser): boolean {
  return user.conversationAccess === 'all' && user.permissions.has('conversations.read');
}

/**
 * An inbox audit entry. The actor carries no label: labels must be non-personal, and a user's
 * display name is a person's name (the id leads to it). The subject is the contact's id only.
 */
export function inboxEntry(
  caller: InboxCaller,
  action: string,
  resource: { type: 'conversation' | 'contact'; id: string },
  details?: AuditDetails,
): AccessEntry {
  return {
    actor: { type: 'user', id: caller.user.userId },
    action,
    resource,
    subjectContactId: resource.id,
    sourceAddress: caller.sourceAddress,
    requestId: caller.requestId,
    ...(details ? { details } : {}),
  };
}

/**
 * Appends an entry inside the caller's transaction, so the action and its entry commit together or
 * not at all; a log that cannot take it refuses the action (AUDIT_UNAVAILABLE), as `append` does.
 */
export async function appendWithAction(audit: Pick<AuditLog, 'appendInTransaction'>, trx: Trx, entry: AuditEntryInput): Promise<void> {
  try {
    await audit.appendInTransaction(trx, entry);
  } catch (error) {
    throw new AppError('AUDIT_UNAVAILABLE', 'The audit log could not record this action, so it was not carried out. Retry later.', { cause: error });
  }
}

/** A refusal after the guard let the request in (a permission held, the reach missing), recorded as the guard records its own. */
export async function recordDenial(audit: Pick<AuditLog, 'append'>, request: FastifyRequest, caller: InboxCaller): Promise<void> {
  await audit.append({
    actor: { type: 'user', id: caller.user.userId },
    action: 'access.denied',
    resource: { type: 'user', id: caller.user.userId },
    sourceAddress: caller.sourceAddress,
    requestId: caller.requestId,
    outcome: 'denied',
    details: { method: request.method, route: request.routeOptions.url ?? '' },
  });
}
