import type { ErrorCode } from '../errors.js';
import { apiKeyScopes } from './api-key-service.js';
import type { ApiKeyScope } from './api-key-service.js';
import { isPermission } from './permissions.js';
import type { Permission } from './permissions.js';
import type { SessionState } from './identity.table.js';

/**
 * Who may call an `/api/v1` route, declared in its `config.access`. A route that declares nothing
 * fails to register.
 * - `'public'`: anyone (sign-in, bootstrap, setup links).
 * - `permission`: a signed-in user whose roles grant it (with MFA done).
 * - `apiKeyScope`: an API key holding that scope; without it, API keys are refused.
 * - `signedIn: true`: any signed-in user, acting on their own account.
 * - `pendingMfa`: also reachable before the second factor, by users without one (`enrol`), with one (`verify`), or both (`any`).
 * - `stepUp: true`: sessions need a second factor within the last RAMPART_STEP_UP_MINUTES (not for a pending session enrolling its first factor).
 */
export type RouteAccess =
  | 'public'
  | {
      permission?: Permission;
      apiKeyScope?: ApiKeyScope;
      signedIn?: true;
      pendingMfa?: 'enrol' | 'verify' | 'any';
      stepUp?: true;
    };

/** What authenticated the request, reduced to what the decision needs. */
export type PresentedCredential =
  | { kind: 'none' }
  | { kind: 'api-key'; scopes: readonly ApiKeyScope[] }
  | { kind: 'session'; state: SessionState; permissions: ReadonlySet<Permission>; hasSecondFactor: boolean; mfaVerifiedAt: number | null };

export type AccessDecision = { isAllowed: true } | { isAllowed: false; code: ErrorCode; message: string };

/** Why a declaration is unusable, or null when it is fine (checked when the route registers). */
export function findAccessProblem(access: unknown): string | null {
  if (access === undefined) return 'declares no scope or permission (config.access); every API route must say who may call it';
  if (access === 'public') return null;
  if (typeof access !== 'object' || access === null) return "has an invalid config.access (use 'public' or an object)";
  const { permission, apiKeyScope, signedIn, pendingMfa } = access as Record<string, unknown>;
  if (permission === undefined && apiKeyScope === undefined && signedIn !== true) return 'declares no scope or permission in config.access';
  if (permission !== undefined && (typeof permission !== 'string' || !isPermission(permission))) return `declares an unknown permission ${String(permission)}`;
  if (apiKeyScope !== undefined && !(apiKeyScopes as readonly unknown[]).includes(apiKeyScope)) return `declares an unknown API key scope ${String(apiKeyScope)}`;
  if (permission !== undefined && signedIn === true) return 'declares both a permission and signedIn; choose one';
  if (pendingMfa !== undefined && signedIn !== true) return 'allows pending-MFA sessions but is not a signedIn (own account) route';
  return null;
}

const allow: AccessDecision = { isAllowed: true };

/** The one decision every `/api/v1` route goes through: 401 anonymous, 401 MFA pending, 403 without permission. */
export function decideAccess(access: RouteAccess, credential: PresentedCredential, { now, stepUpMs }: { now: number; stepUpMs: number }): AccessDecision {
  if (access === 'public') return allow;
  if (credential.kind === 'none') return deny('UNAUTHENTICATED', 'Sign in, or send an API key as "Authorization: Bearer rmp_…".');
  if (credential.kind === 'api-key') {
    if (!access.apiKeyScope) return deny('FORBIDDEN', 'API keys cannot use this route; it is for signed-in users.');
    if (!credential.scopes.includes(access.apiKeyScope)) return deny('FORBIDDEN', `This API key lacks the ${access.apiKeyScope} scope.`);
    return allow;
  }
  if (credential.state === 'pending-mfa') {
    const isEnrolling = !credential.hasSecondFactor;
    const isReachable = access.pendingMfa === 'any' || (access.pendingMfa === 'enrol' && isEnrolling) || (access.pendingMfa === 'verify' && !isEnrolling);
    if (!isReachable) {
      return deny('MFA_REQUIRED', isEnrolling ? 'Set up a second factor (an authenticator app or a passkey) first.' : 'Confirm your sign-in with your second factor first.');
    }
    // A pending session enrolling its first factor has nothing to step up with; verifying completes sign-in.
    return allow;
  }
  if (access.signedIn !== true) {
    if (!access.permission) return deny('FORBIDDEN', 'This route is for API keys.');
    if (!credential.permissions.has(access.permission)) return deny('FORBIDDEN', `Your role does not allow this (${access.permission}).`);
  }
  if (access.stepUp && (credential.mfaVerifiedAt === null || now - credential.mfaVerifiedAt > stepUpMs)) {
    return deny('STEP_UP_REQUIRED', 'Confirm with your second factor again (POST /api/v1/auth/step-up), then retry.');
  }
  return allow;
}

function deny(code: ErrorCode, message: string): AccessDecision {
  return { isAllowed: false, code, message };
}
