import type { Clock } from '../clock.js';
import type { Db } from '../db/database.js';
import { AppError } from '../errors.js';
import { normaliseEmail } from './identity-tokens.js';
import type { LoginThrottle } from './login-throttle.js';
import type { PasswordHasher } from './password-hasher.js';
import { assertAcceptablePassword } from './password-policy.js';
import type { RecordSecurityEvent, RequestOrigin, SecurityActor, SecurityOutcome } from './security-event.js';
import type { IssuedSession, SessionService } from './session-service.js';
import type { SetupLinks } from './setup-links.js';
import type { SignedInUser } from './signed-in-user.js';
import { actorOf } from './signed-in-user.js';
import type { UserService } from './user-service.js';

const TRY_LATER = 'Too many sign-in attempts; try again later.';
const WRONG_CREDENTIALS = 'The email or password is not right.';
const INVALID_LINK = 'This setup link is not valid: it was used, replaced or has expired. Ask an admin for a new one.';

/**
 * Passwords: sign-in, first-admin bootstrap, setup links, change, sign-out. Every session this
 * opens is `pending-mfa`: a password alone never reaches data.
 */
export function createSignInService(deps: {
  db: Db;
  clock: Clock;
  hasher: PasswordHasher;
  throttle: LoginThrottle;
  sessions: SessionService;
  users: UserService;
  setupLinks: SetupLinks;
  recordSecurityEvent: RecordSecurityEvent;
}) {
  const { db, clock, hasher, throttle, sessions, users, setupLinks } = deps;

  /**
   * The same answer, after the same work, whether the email is unknown, the password wrong or the
   * account disabled: one throttle transaction, one user lookup, one argon2 verification.
   */
  async function signIn(input: { email: string; password: string }, origin: RequestOrigin): Promise<IssuedSession> {
    const email = normaliseEmail(input.email);
    const subject = { email, sourceAddress: origin.sourceAddress };
    const verdict = await throttle.beginAttempt(subject);
    if (!verdict.isAllowed) {
      await record({ kind: 'anonymous' }, 'auth.login', 'denied', origin, { reason: 'throttled' });
      throw new AppError('LOGIN_THROTTLED', TRY_LATER);
    }
    const user = await users.findUserByEmail(email);
    const isMatch = await hasher.verifyPassword(user?.password_hash ?? null, input.password);
    if (!user || !isMatch || user.status !== 'active') {
      const actor: SecurityActor = user ? { kind: 'user', id: user.id } : { kind: 'anonymous' };
      const reason = !user ? 'unknown-account' : !isMatch ? 'wrong-password' : 'disabled';
      await record(actor, 'auth.login', 'failure', origin, { reason });
      if (verdict.didLockAccount) await record(actor, 'auth.lockout', 'success', origin, {});
      throw new AppError('INVALID_CREDENTIALS', WRONG_CREDENTIALS);
    }
    await throttle.forgiveAttempt(subject);
    if (hasher.needsRehash(user.password_hash!)) {
      await db.updateTable('users').set({ password_hash: await hasher.hashPassword(input.password) }).where('id', '=', user.id).execute();
    }
    const issued = await sessions.createSession(db, { userId: user.id, state: 'pending-mfa', origin });
    await record({ kind: 'user', id: user.id }, 'auth.login', 'success', origin, { sessionId: issued.session.id, stage: 'password' });
    await sessions.purgeOldSessions();
    await throttle.purgeStale();
    return issued;
  }

  /** Creates the first admin with a bootstrap link; works only while no user exists. */
  async function bootstrap(input: { token: string; email: string; displayName: string; password: string }, origin: RequestOrigin): Promise<IssuedSession> {
    assertAcceptablePassword(input.password, { email: normaliseEmail(input.email) });
    const passwordHash = await hasher.hashPassword(input.password);
    const issued = await db.transaction().execute(async (trx) => {
      const token = await setupLinks.findValidToken(input.token, 'bootstrap', trx);
      const anyUser = await trx.selectFrom('users').select('id').limit(1).executeTakeFirst();
      if (!token || anyUser || !(await setupLinks.useToken(token.id, trx))) return null;
      const userId = await users.insertUser(trx, { email: input.email, displayName: input.displayName, roleIds: ['admin'], passwordHash });
      return sessions.createSession(trx, { userId, state: 'pending-mfa', origin });
    });
    if (!issued) {
      await record({ kind: 'anonymous' }, 'auth.bootstrap', 'failure', origin, { reason: 'invalid-link' });
      throw new AppError('SETUP_LINK_INVALID', INVALID_LINK);
    }
    await record({ kind: 'user', id: issued.session.userId }, 'auth.bootstrap', 'success', origin, { sessionId: issued.session.id });
    return issued;
  }

  /** What a setup link is for, so the page can show the right form (the link's holder is its user). */
  async function inspectSetupLink(token: string): Promise<{ kind: 'bootstrap' } | { kind: 'password'; email: string; displayName: string }> {
    const bootstrapToken = await setupLinks.findValidToken(token, 'bootstrap');
    if (bootstrapToken && !(await db.selectFrom('users').select('id').limit(1).executeTakeFirst())) return { kind: 'bootstrap' };
    const passwordToken = await setupLinks.findValidToken(token, 'password');
    const user = passwordToken?.user_id ? await users.findUserById(passwordToken.user_id) : undefined;
    if (!user || user.status !== 'active') throw new AppError('SETUP_LINK_INVALID', INVALID_LINK);
    return { kind: 'password', email: user.email, displayName: user.display_name };
  }

  /** Sets the password of the link's user and opens a pending-MFA session. */
  async function completeSetup(input: { token: string; password: string }, origin: RequestOrigin): Promise<IssuedSession> {
    const token = await setupLinks.findValidToken(input.token, 'password');
    const user = token?.user_id ? await users.findUserById(token.user_id) : undefined;
    if (!token || !user || user.status !== 'active') {
      await record({ kind: 'anonymous' }, 'auth.password.setup', 'failure', origin, { reason: 'invalid-link' });
      throw new AppError('SETUP_LINK_INVALID', INVALID_LINK);
    }
    assertAcceptablePassword(input.password, { email: user.email });
    const passwordHash = await hasher.hashPassword(input.password);
    const issued = await db.transaction().execute(async (trx) => {
      if (!(await setupLinks.useToken(token.id, trx))) return null;
      const now = clock.now();
      await trx.updateTable('users').set({ password_hash: passwordHash, password_changed_at: now, updated_at: now }).where('id', '=', user.id).execute();
      await sessions.endUserSessions(user.id, 'password-changed', { executor: trx });
      return sessions.createSession(trx, { userId: user.id, state: 'pending-mfa', origin });
    });
    if (!issued) throw new AppError('SETUP_LINK_INVALID', INVALID_LINK);
    await throttle.clearAccount(user.email);
    await record({ kind: 'user', id: user.id }, 'auth.password.setup', 'success', origin, { sessionId: issued.session.id });
    return issued;
  }

  /** Needs the current password (throttled like a sign-in); every other session of the user ends. */
  async function changePassword(user: SignedInUser, input: { currentPassword: string; newPassword: string }, origin: RequestOrigin): Promise<void> {
    const subject = { email: user.email, sourceAddress: origin.sourceAddress };
    const verdict = await throttle.beginAttempt(subject);
    if (!verdict.isAllowed) throw new AppError('LOGIN_THROTTLED', TRY_LATER);
    const row = await users.findUserById(user.userId);
    if (!row || !(await hasher.verifyPassword(row.password_hash, input.currentPassword))) {
      await record(actorOf(user), 'auth.password.change', 'failure', origin, { reason: 'wrong-password' });
      if (verdict.didLockAccount) await record(actorOf(user), 'auth.lockout', 'success', origin, {});
      throw new AppError('INVALID_CREDENTIALS', 'The current password is not right.');
    }
    await throttle.forgiveAttempt(subject);
    assertAcceptablePassword(input.newPassword, { email: user.email });
    const passwordHash = await hasher.hashPassword(input.newPassword);
    const now = clock.now();
    await db.updateTable('users').set({ password_hash: passwordHash, password_changed_at: now, updated_at: now }).where('id', '=', user.userId).execute();
    const ended = await sessions.endUserSessions(user.userId, 'password-changed', { exceptSessionId: user.session.id });
    await record(actorOf(user), 'auth.password.change', 'success', origin, { otherSessionsEnded: ended });
  }

  async function signOut(user: SignedInUser, origin: RequestOrigin): Promise<void> {
    await sessions.endSession(user.session.id, 'logout');
    await record(actorOf(user), 'auth.logout', 'success', origin, { sessionId: user.session.id });
  }

  async function recordSessionRevoked(user: SignedInUser, sessionId: string, origin: RequestOrigin): Promise<void> {
    await record(actorOf(user), 'auth.session.revoke', 'success', origin, { sessionId });
  }

  async function record(actor: SecurityActor, action: string, outcome: SecurityOutcome, origin: RequestOrigin, details: Record<string, string | number | boolean | null>): Promise<void> {
    await deps.recordSecurityEvent({ actor, action, outcome, sourceAddress: origin.sourceAddress, requestId: origin.requestId, details });
  }

  return { signIn, bootstrap, inspectSetupLink, completeSetup, changePassword, signOut, recordSessionRevoked };
}

export type SignInService = ReturnType<typeof createSignInService>;
