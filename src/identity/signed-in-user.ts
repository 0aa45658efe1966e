import type { ConversationPrincipal } from './permissions.js';
import type { AuthenticatedSession } from './session-service.js';
import type { SecurityActor } from './security-event.js';

/** A user a session cookie authenticated, as routes see them (`request.user`). */
export interface SignedInUser extends ConversationPrincipal {
  email: string;
  displayName: string;
  roleIds: readonly string[];
  session: AuthenticatedSession;
  /** Has a confirmed TOTP or a passkey; without one, a pending session may only enrol. */
  hasSecondFactor: boolean;
}

export function actorOf(user: Pick<SignedInUser, 'userId'>): SecurityActor {
  return { kind: 'user', id: user.userId };
}
