import { AppError } from '../errors.js';
import type { IdentityConfig } from './identity-settings.js';
import type { SessionInfo } from './identity-schemas.js';
import type { MfaService } from './mfa-service.js';
import type { AuthenticatedSession } from './session-service.js';
import type { SignedInUser } from './signed-in-user.js';
import type { UserService } from './user-service.js';

/** What the dashboard learns about its session: who, what they may do, what is still needed, the CSRF token. */
export function createSessionInfo({ users, mfa, settings }: { users: Pick<UserService, 'loadUserAccess'>; mfa: Pick<MfaService, 'hasSecondFactor'>; settings: Pick<IdentityConfig, 'stepUpMs'> }) {
  function describeSignedIn(user: SignedInUser): SessionInfo {
    return build(user, user.session);
  }

  /** For a session just opened or rotated (sign-in, setup, MFA): the request had no user yet, or an older token. */
  async function describeSession(session: AuthenticatedSession): Promise<SessionInfo> {
    const access = await users.loadUserAccess(session.userId);
    if (!access) throw new AppError('UNAUTHENTICATED', 'The account is not active.');
    const hasSecondFactor = await mfa.hasSecondFactor(session.userId);
    return build(
      {
        userId: access.user.id,
        email: access.user.email,
        displayName: access.user.display_name,
        roleIds: access.roleIds,
        permissions: access.permissions,
        conversationAccess: access.conversationAccess,
        hasSecondFactor,
      },
      session,
    );
  }

  function build(user: Omit<SignedInUser, 'session'>, session: AuthenticatedSession): SessionInfo {
    const isActive = session.state === 'active';
    return {
      user: { id: user.userId, email: user.email, displayName: user.displayName, roleIds: [...user.roleIds] },
      permissions: [...user.permissions].sort(),
      conversationAccess: user.conversationAccess,
      session: {
        id: session.id,
        state: session.state,
        createdAt: session.createdAt,
        expiresAt: session.expiresAt,
        idleExpiresAt: session.idleExpiresAt,
        mfaVerifiedAt: session.mfaVerifiedAt,
        stepUpValidUntil: isActive && session.mfaVerifiedAt !== null ? session.mfaVerifiedAt + settings.stepUpMs : null,
      },
      nextStep: isActive ? 'none' : user.hasSecondFactor ? 'verify-second-factor' : 'enrol-second-factor',
      csrfToken: session.csrfToken,
    };
  }

  return { describeSignedIn, describeSession };
}

export type SessionInfoBuilder = ReturnType<typeof createSessionInfo>;
