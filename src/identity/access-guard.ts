import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Clock } from '../clock.js';
import { AppError } from '../errors.js';
import type { ApiKeyPrincipal, ApiKeyService } from './api-key-service.js';
import type { IdentityConfig } from './identity-settings.js';
import { isCsrfTokenValid } from './identity-tokens.js';
import { decideAccess } from './route-access.js';
import type { PresentedCredential, RouteAccess } from './route-access.js';
import type { RecordSecurityEvent } from './security-event.js';
import { clearSessionCookies, originOf, readCookie, SESSION_COOKIE } from './session-cookie.js';
import type { SessionService } from './session-service.js';
import type { SignedInUser } from './signed-in-user.js';
import type { UserService } from './user-service.js';

/** What the guard needs from the identity slice to accept sessions (without it, only API keys work). */
export interface SessionGuardDependencies {
  sessions: Pick<SessionService, 'authenticateSession' | 'endSession'>;
  users: Pick<UserService, 'loadUserAccess'>;
  mfa: { hasSecondFactor(userId: string): Promise<boolean> };
  settings: Pick<IdentityConfig, 'publicUrl' | 'isCookieSecure' | 'stepUpMs'>;
  clock: Clock;
  recordSecurityEvent: RecordSecurityEvent;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** `x-rampart-background: 1`: the dashboard polling on its own, not the person acting; it does not keep a session from going idle. */
export const BACKGROUND_HEADER = 'x-rampart-background';

/**
 * Authenticates a request (API key in the Authorization header, else the session cookie), checks
 * CSRF for state-changing session requests, sets `request.principal` / `request.user`, and applies
 * the route's declared access. Throws the AppError that answers the request when access is denied.
 */
export function createAccessGuard({ apiKeys, identity }: { apiKeys: Pick<ApiKeyService, 'authenticate'>; identity: SessionGuardDependencies | null }) {
  async function authorize(request: FastifyRequest, reply: FastifyReply, access: RouteAccess): Promise<void> {
    const isStateChanging = !SAFE_METHODS.has(request.method);
    if (access === 'public') {
      // Sign-in and setup forms: a cross-site page must not submit them (login CSRF).
      if (isStateChanging && identity && isCrossSite(request, identity.settings.publicUrl)) throw crossSiteError();
      return;
    }
    const credential = request.headers.authorization !== undefined ? await authenticateApiKey(request) : await authenticateSession(request, reply, isStateChanging);
    const now = identity?.clock.now() ?? Date.now();
    const decision = decideAccess(access, credential, { now, stepUpMs: identity?.settings.stepUpMs ?? 0 });
    if (decision.isAllowed) return;
    if (decision.code === 'FORBIDDEN') await recordDenial(request);
    const error = new AppError(decision.code, decision.message);
    throw decision.code === 'UNAUTHENTICATED' ? Object.assign(error, { isBearerChallenge: true }) : error;
  }

  async function authenticateApiKey(request: FastifyRequest): Promise<PresentedCredential> {
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer\s+(\S+)$/i.exec(header.trim()) : null;
    if (!match) throw unauthenticated('Send an API key as "Authorization: Bearer rmp_…".');
    const principal: ApiKeyPrincipal | null = await apiKeys.authenticate(match[1]!);
    if (!principal) throw unauthenticated('The API key is unknown or revoked.');
    request.principal = principal;
    return { kind: 'api-key', scopes: principal.scopes };
  }

  async function authenticateSession(request: FastifyRequest, reply: FastifyReply, isStateChanging: boolean): Promise<PresentedCredential> {
    const token = readCookie(request.headers.cookie, SESSION_COOKIE);
    if (!identity || !token) return { kind: 'none' };
    const isSecure = identity.settings.isCookieSecure;
    const lookup = await identity.sessions.authenticateSession(token, { isActivity: request.headers[BACKGROUND_HEADER] !== '1' });
    if (lookup.kind !== 'valid') {
      clearSessionCookies(reply, { isSecure });
      if (lookup.kind === 'expired') throw new AppError('SESSION_EXPIRED', 'Your session has ended; sign in again.');
      return { kind: 'none' };
    }
    const { session } = lookup;
    const access = await identity.users.loadUserAccess(session.userId);
    if (!access) {
      // Disabled or deleted since the session began.
      await identity.sessions.endSession(session.id, 'disabled');
      clearSessionCookies(reply, { isSecure });
      return { kind: 'none' };
    }
    if (isStateChanging) {
      const presented = request.headers['x-csrf-token'];
      if (isCrossSite(request, identity.settings.publicUrl)) throw crossSiteError();
      if (!isCsrfTokenValid(token, typeof presented === 'string' ? presented : undefined)) {
        throw new AppError('CSRF_REJECTED', 'Send the x-csrf-token header from your session (GET /api/v1/auth/session).');
      }
    }
    const hasSecondFactor = session.state === 'active' || (await identity.mfa.hasSecondFactor(session.userId));
    const user: SignedInUser = {
      userId: access.user.id,
      email: access.user.email,
      displayName: access.user.display_name,
      roleIds: access.roleIds,
      permissions: access.permissions,
      conversationAccess: access.conversationAccess,
      session,
      hasSecondFactor,
    };
    request.user = user;
    return { kind: 'session', state: session.state, permissions: access.permissions, hasSecondFactor, mfaVerifiedAt: session.mfaVerifiedAt };
  }

  async function recordDenial(request: FastifyRequest): Promise<void> {
    if (!identity) return;
    const actor = request.user ? { kind: 'user' as const, id: request.user.userId } : request.principal ? { kind: 'api-key' as const, id: request.principal.id } : null;
    if (!actor) return;
    const origin = originOf(request);
    await identity.recordSecurityEvent({
      actor,
      action: 'access.denied',
      outcome: 'denied',
      sourceAddress: origin.sourceAddress,
      requestId: origin.requestId,
      details: { method: request.method, route: request.routeOptions.url ?? '' },
    });
  }

  return { authorize };
}

export type AccessGuard = ReturnType<typeof createAccessGuard>;

/** A browser says where a request comes from; anything but this origin (or a direct navigation) is refused. */
export function isCrossSite(request: FastifyRequest, publicUrl: string): boolean {
  const fetchSite = request.headers['sec-fetch-site'];
  if (typeof fetchSite === 'string' && fetchSite !== 'same-origin' && fetchSite !== 'none') return true;
  const origin = request.headers.origin;
  return typeof origin === 'string' && origin !== publicUrl;
}

function crossSiteError(): AppError {
  return new AppError('CSRF_REJECTED', 'Requests from other sites are refused.');
}

function unauthenticated(message: string): AppError {
  return Object.assign(new AppError('UNAUTHENTICATED', message), { isBearerChallenge: true });
}
