import { randomUUID } from 'node:crypto';
import type { Clock } from '../clock.js';
import type { Db } from '../db/database.js';
import { deriveCsrfToken, generateToken, hashToken } from './identity-tokens.js';
import type { IdentityConfig } from './identity-settings.js';
import type { SessionState, SessionTable } from './identity.table.js';
import type { RequestOrigin } from './security-event.js';

/** A pending-MFA session is for typing a code, not for lingering. */
export const PENDING_MFA_LIFETIME_MS = 10 * 60_000;
/** Wrong second factors a session may try before it is ended (the account throttle counts them too). */
export const MAX_MFA_FAILURES_PER_SESSION = 5;
/** last_seen_at is written at most this often per session: not a write per request. */
const TOUCH_RESOLUTION_MS = 5_000;

export interface AuthenticatedSession {
  id: string;
  userId: string;
  state: SessionState;
  createdAt: number;
  lastSeenAt: number;
  expiresAt: number;
  idleExpiresAt: number;
  mfaVerifiedAt: number | null;
  /** For the x-csrf-token header; derived from the token, never stored. */
  csrfToken: string;
}

export interface SessionSummary {
  id: string;
  state: SessionState;
  createdAt: number;
  lastSeenAt: number;
  expiresAt: number;
  sourceAddress: string | null;
  userAgent: string | null;
}

export type SessionLookup = { kind: 'valid'; session: AuthenticatedSession } | { kind: 'expired' } | { kind: 'unknown' };

/** A new cookie value and the session it opens (only ever returned to the route that sets the cookie). */
export interface IssuedSession {
  token: string;
  session: AuthenticatedSession;
}

export type SessionEndReason = 'logout' | 'revoked' | 'idle' | 'expired' | 'mfa-failures' | 'password-changed' | 'password-reset' | 'disabled' | 'roles-changed';

/**
 * Sessions: a random token in the cookie, only its SHA-256 stored; an idle timeout and an absolute
 * lifetime checked on every request; ended rows kept (ended_at, end_reason) for the user's list.
 */
export function createSessionService({ db, clock, settings }: { db: Db; clock: Clock; settings: Pick<IdentityConfig, 'sessionIdleMs' | 'sessionMaxMs'> }) {
  async function createSession(
    executor: Db,
    { userId, state, origin }: { userId: string; state: SessionState; origin: RequestOrigin },
  ): Promise<IssuedSession> {
    const now = clock.now();
    const token = generateToken();
    const row: SessionTable = {
      id: randomUUID(),
      token_hash: hashToken(token),
      user_id: userId,
      state,
      created_at: now,
      last_seen_at: now,
      expires_at: now + (state === 'pending-mfa' ? Math.min(PENDING_MFA_LIFETIME_MS, settings.sessionMaxMs) : settings.sessionMaxMs),
      mfa_verified_at: state === 'active' ? now : null,
      mfa_failures: 0,
      ended_at: null,
      end_reason: null,
      source_address: origin.sourceAddress,
      user_agent: origin.userAgent?.slice(0, 200) ?? null,
    };
    await executor.insertInto('sessions').values(row).execute();
    return { token, session: toAuthenticated(row, token) };
  }

  /**
   * The session a cookie token opens; an idle or expired one is ended on the spot. A request that
   * is not the person's activity (the dashboard polling in the background) leaves the idle clock
   * alone, so an open but unattended tab still times out.
   */
  async function authenticateSession(token: string, { isActivity = true }: { isActivity?: boolean } = {}): Promise<SessionLookup> {
    if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return { kind: 'unknown' };
    const row = await db.selectFrom('sessions').selectAll().where('token_hash', '=', hashToken(token)).executeTakeFirst();
    if (!row || row.ended_at !== null) return { kind: 'unknown' };
    const now = clock.now();
    if (now >= row.expires_at || now >= row.last_seen_at + settings.sessionIdleMs) {
      await endSession(row.id, now >= row.expires_at ? 'expired' : 'idle');
      return { kind: 'expired' };
    }
    if (isActivity && now - row.last_seen_at >= TOUCH_RESOLUTION_MS) {
      await db.updateTable('sessions').set({ last_seen_at: now }).where('id', '=', row.id).where('ended_at', 'is', null).execute();
      row.last_seen_at = now;
    }
    return { kind: 'valid', session: toAuthenticated(row, token) };
  }

  /**
   * A second factor succeeded: the session becomes active under a new token (the pre-MFA token,
   * which may have been observed, opens nothing any more) and its lifetime counts from sign-in.
   */
  async function activateSession(sessionId: string): Promise<IssuedSession> {
    const now = clock.now();
    const token = generateToken();
    const row = await db.selectFrom('sessions').selectAll().where('id', '=', sessionId).executeTakeFirstOrThrow();
    const expiresAt = row.created_at + settings.sessionMaxMs;
    await db
      .updateTable('sessions')
      .set({ token_hash: hashToken(token), state: 'active', mfa_verified_at: now, last_seen_at: now, expires_at: expiresAt, mfa_failures: 0 })
      .where('id', '=', sessionId)
      .execute();
    return { token, session: toAuthenticated({ ...row, state: 'active', mfa_verified_at: now, last_seen_at: now, expires_at: expiresAt }, token) };
  }

  async function recordStepUp(sessionId: string): Promise<number> {
    const now = clock.now();
    await db.updateTable('sessions').set({ mfa_verified_at: now, mfa_failures: 0 }).where('id', '=', sessionId).execute();
    return now;
  }

  /** Counts a wrong second factor; true when the session has now used up its tries and was ended. */
  async function recordMfaFailure(sessionId: string): Promise<boolean> {
    // Incremented in SQL: parallel wrong codes must each count.
    await db.updateTable('sessions').set((eb) => ({ mfa_failures: eb('mfa_failures', '+', 1) })).where('id', '=', sessionId).execute();
    const row = await db.selectFrom('sessions').select('mfa_failures').where('id', '=', sessionId).executeTakeFirst();
    if ((row?.mfa_failures ?? MAX_MFA_FAILURES_PER_SESSION) < MAX_MFA_FAILURES_PER_SESSION) return false;
    await endSession(sessionId, 'mfa-failures');
    return true;
  }

  async function endSession(sessionId: string, reason: SessionEndReason, executor: Db = db): Promise<void> {
    await executor.updateTable('sessions').set({ ended_at: clock.now(), end_reason: reason }).where('id', '=', sessionId).where('ended_at', 'is', null).execute();
  }

  /** Ends every open session of the user (but one, when given); answers how many ended. */
  async function endUserSessions(userId: string, reason: SessionEndReason, options: { exceptSessionId?: string; executor?: Db } = {}): Promise<number> {
    let query = (options.executor ?? db)
      .updateTable('sessions')
      .set({ ended_at: clock.now(), end_reason: reason })
      .where('user_id', '=', userId)
      .where('ended_at', 'is', null);
    if (options.exceptSessionId) query = query.where('id', '!=', options.exceptSessionId);
    const result = await query.executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  /** The user's sessions that are still open and not past their timeouts, newest first. */
  async function listUserSessions(userId: string): Promise<SessionSummary[]> {
    const now = clock.now();
    const rows = await db
      .selectFrom('sessions')
      .select(['id', 'state', 'created_at', 'last_seen_at', 'expires_at', 'source_address', 'user_agent'])
      .where('user_id', '=', userId)
      .where('ended_at', 'is', null)
      .where('expires_at', '>', now)
      .where('last_seen_at', '>', now - settings.sessionIdleMs)
      .orderBy('created_at', 'desc')
      .execute();
    return rows.map((row) => ({
      id: row.id,
      state: row.state,
      createdAt: row.created_at,
      lastSeenAt: row.last_seen_at,
      expiresAt: row.expires_at,
      sourceAddress: row.source_address,
      userAgent: row.user_agent,
    }));
  }

  /** Ends one of the user's own sessions; false when it is not theirs or already ended. */
  async function endOwnSession(userId: string, sessionId: string): Promise<boolean> {
    const result = await db
      .updateTable('sessions')
      .set({ ended_at: clock.now(), end_reason: 'revoked' })
      .where('id', '=', sessionId)
      .where('user_id', '=', userId)
      .where('ended_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** Rows ended or expired long ago leave the table (the audit log keeps the history). */
  async function purgeOldSessions(olderThanMs = 7 * 24 * 3_600_000): Promise<void> {
    const cutoff = clock.now() - olderThanMs;
    await db.deleteFrom('sessions').where('expires_at', '<', cutoff).execute();
  }

  function toAuthenticated(row: Pick<SessionTable, 'id' | 'user_id' | 'state' | 'created_at' | 'last_seen_at' | 'expires_at' | 'mfa_verified_at'>, token: string): AuthenticatedSession {
    return {
      id: row.id,
      userId: row.user_id,
      state: row.state,
      createdAt: row.created_at,
      lastSeenAt: row.last_seen_at,
      expiresAt: row.expires_at,
      idleExpiresAt: Math.min(row.expires_at, row.last_seen_at + settings.sessionIdleMs),
      mfaVerifiedAt: row.mfa_verified_at,
      csrfToken: deriveCsrfToken(token),
    };
  }

  return {
    createSession,
    authenticateSession,
    activateSession,
    recordStepUp,
    recordMfaFailure,
    endSession,
    endUserSessions,
    endOwnSession,
    listUserSessions,
    purgeOldSessions,
  };
}

export type SessionService = ReturnType<typeof createSessionService>;
