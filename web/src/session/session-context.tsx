import { createContext, useCallback, useContext, useEffect, useMemo, useState } from 'react';
import type { ReactNode } from 'react';
import { isApiError } from '../api/api-error';
import type { SessionInfo } from '../api/auth-api';
import type { Permission } from '../api/permissions';
import { useApi } from './api-context';
import { useIdleSignOut } from './use-idle-sign-out';

/** Why the sign-in page is showing: it says so in words. */
export type SignedOutReason = 'session-ended' | 'signed-out' | 'sign-in-expired';

export type SessionState =
  | { status: 'loading' }
  | { status: 'unavailable'; error: unknown }
  | { status: 'signed-out'; reason: SignedOutReason | null }
  | { status: 'pending'; info: SessionInfo }
  | { status: 'active'; info: SessionInfo };

export interface SessionContextValue {
  state: SessionState;
  /** The signed-in user's session, or null before a second factor. */
  active: SessionInfo | null;
  /** RAMPART_SESSION_IDLE_MINUTES as the server applies it (15 until a session tells otherwise). */
  idleMinutes: number;
  hasPermission(permission: Permission): boolean;
  /** Takes a session the server just answered (sign-in, setup, second factor, step-up). */
  acceptSession(info: SessionInfo): void;
  signOut(): Promise<void>;
  /** The server said the session is gone (or the idle timer ran out): back to sign-in, saying why. */
  endSession(reason: SignedOutReason): void;
  /** Asks the server again (after a failure to reach it at start). */
  reload(): void;
}

const SessionContext = createContext<SessionContextValue | null>(null);
const DEFAULT_IDLE_MINUTES = 15;

/** The session as the server sees it: probed at start, replaced by every answer that carries one, ended on 401. */
export function SessionProvider({ children }: { children: ReactNode }) {
  const api = useApi();
  const [state, setState] = useState<SessionState>({ status: 'loading' });
  const [idleMinutes, setIdleMinutes] = useState(DEFAULT_IDLE_MINUTES);
  const [probeCount, setProbeCount] = useState(0);

  const acceptSession = useCallback(
    (info: SessionInfo) => {
      api.client.rememberCsrfToken(info.csrfToken);
      // The idle deadline is counted from the last request, which this answer just was.
      const minutes = Math.round((info.session.idleExpiresAt - api.client.serverNow()) / 60_000);
      if (info.session.state === 'active' && minutes >= 1) setIdleMinutes(minutes);
      setState(info.session.state === 'active' ? { status: 'active', info } : { status: 'pending', info });
    },
    [api],
  );

  const endSession = useCallback(
    (reason: SignedOutReason) => {
      api.client.rememberCsrfToken(null);
      setState((current) => (current.status === 'signed-out' ? { status: 'signed-out', reason: current.reason ?? reason } : { status: 'signed-out', reason }));
    },
    [api],
  );

  const signOut = useCallback(async () => {
    try {
      await api.auth.signOut();
    } catch {
      // Already gone on the server: the outcome is the same.
    }
    endSession('signed-out');
  }, [api, endSession]);

  useEffect(() => {
    api.client.onSessionEnded(() => endSession('session-ended'));
  }, [api, endSession]);

  useEffect(() => {
    const controller = new AbortController();
    api.auth
      .getSession()
      .then((info) => {
        if (!controller.signal.aborted) acceptSession(info);
      })
      .catch((error: unknown) => {
        if (controller.signal.aborted) return;
        if (isApiError(error) && error.status === 401) setState({ status: 'signed-out', reason: null });
        else setState({ status: 'unavailable', error });
      });
    return () => controller.abort();
  }, [api, acceptSession, probeCount]);

  const onIdle = useCallback(() => {
    void api.auth.signOut().catch(() => undefined);
    endSession('session-ended');
  }, [api, endSession]);
  useIdleSignOut({ isActive: state.status === 'active', idleMs: idleMinutes * 60_000, onIdle });

  const value = useMemo<SessionContextValue>(() => {
    const active = state.status === 'active' ? state.info : null;
    return {
      state,
      active,
      idleMinutes,
      hasPermission: (permission) => active?.permissions.includes(permission) ?? false,
      acceptSession,
      signOut,
      endSession,
      reload: () => {
        setState({ status: 'loading' });
        setProbeCount((count) => count + 1);
      },
    };
  }, [state, idleMinutes, acceptSession, signOut, endSession]);

  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionContextValue {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside SessionProvider');
  return session;
}
