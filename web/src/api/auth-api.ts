import type { ApiClient } from './http-client';
import type { ConversationAccess, Permission } from './permissions';

/** GET /api/v1/auth/session and every answer that opens or rotates a session. */
export interface SessionInfo {
  user: { id: string; email: string; displayName: string; roleIds: string[] };
  permissions: Permission[];
  conversationAccess: ConversationAccess;
  session: {
    id: string;
    state: 'pending-mfa' | 'active';
    createdAt: number;
    expiresAt: number;
    idleExpiresAt: number;
    mfaVerifiedAt: number | null;
    stepUpValidUntil: number | null;
  };
  nextStep: 'none' | 'verify-second-factor' | 'enrol-second-factor';
  csrfToken: string;
}

export type SetupLinkPurpose = { kind: 'bootstrap' } | { kind: 'password'; email: string; displayName: string };

export interface OwnSession {
  id: string;
  state: 'pending-mfa' | 'active';
  createdAt: number;
  lastSeenAt: number;
  expiresAt: number;
  sourceAddress: string | null;
  userAgent: string | null;
  isCurrent: boolean;
}

/** Sign-in steps answer 401 for wrong input: the caller shows it instead of leaving the page. */
const signInStep = { onUnauthenticated: 'throw' } as const;

/** `/api/v1/auth/…`: sign-in, setup links, the session, sign-out, password, own sessions. */
export function createAuthApi(client: ApiClient) {
  return {
    /** The current session; 401 when there is none (the start-up probe, so it never counts as "ended"). */
    getSession: () => client.requestJson<SessionInfo>('/api/v1/auth/session', signInStep),
    signIn: (email: string, password: string) => client.requestJson<SessionInfo>('/api/v1/auth/login', { ...signInStep, method: 'POST', body: { email, password } }),
    inspectSetupLink: (token: string) => client.requestJson<SetupLinkPurpose>('/api/v1/auth/setup/inspect', { ...signInStep, method: 'POST', body: { token } }),
    createFirstAdmin: (input: { token: string; email: string; displayName: string; password: string }) =>
      client.requestJson<SessionInfo>('/api/v1/auth/bootstrap', { ...signInStep, method: 'POST', body: input }),
    completeSetup: (input: { token: string; password: string }) => client.requestJson<SessionInfo>('/api/v1/auth/setup', { ...signInStep, method: 'POST', body: input }),
    signOut: () => client.requestJson<void>('/api/v1/auth/logout', { ...signInStep, method: 'POST' }),
    changePassword: (currentPassword: string, newPassword: string) =>
      client.requestJson<void>('/api/v1/auth/password', { method: 'POST', body: { currentPassword, newPassword } }),
    listOwnSessions: () => client.requestJson<OwnSession[]>('/api/v1/auth/sessions'),
    endOwnSession: (id: string) => client.requestJson<void>(`/api/v1/auth/sessions/${encodeURIComponent(id)}`, { method: 'DELETE' }),
  };
}

export type AuthApi = ReturnType<typeof createAuthApi>;
