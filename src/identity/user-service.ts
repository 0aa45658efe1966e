import type { Clock } from '../clock.js';
import type { Db } from '../db/database.js';
import { AppError } from '../errors.js';
import { normaliseEmail } from './identity-tokens.js';
import { createUserRecord, parseDisplayName } from './user-records.js';
import type { UserStatus, UserTable } from './identity.table.js';
import type { LoginThrottle } from './login-throttle.js';
import type { PasskeyService } from './passkey-service.js';
import type { ConversationAccess, Permission } from './permissions.js';
import type { RecoveryCodes } from './recovery-codes.js';
import type { RoleService } from './role-service.js';
import type { RecordSecurityEvent, RequestOrigin, SecurityActor } from './security-event.js';
import type { SessionService } from './session-service.js';
import type { SetupLinks } from './setup-links.js';
import type { TotpService } from './totp-service.js';

export interface UserSummary {
  id: string;
  email: string;
  displayName: string;
  status: UserStatus;
  roleIds: string[];
  hasPassword: boolean;
  hasSecondFactor: boolean;
  createdAt: number;
  updatedAt: number;
}

/** A user as the guard sees them on each request. */
export interface UserAccess {
  user: Pick<UserTable, 'id' | 'email' | 'display_name' | 'status'>;
  roleIds: string[];
  permissions: ReadonlySet<Permission>;
  conversationAccess: ConversationAccess;
}

/** Who asks for a change and from where: for the security events each change records. */
export interface Caller {
  actor: SecurityActor;
  origin: RequestOrigin;
}

/** Staff accounts: created without a password (a setup link sets it), disabled rather than deleted. */
export function createUserService(deps: {
  db: Db;
  clock: Clock;
  roles: RoleService;
  sessions: SessionService;
  setupLinks: SetupLinks;
  throttle: LoginThrottle;
  totp: TotpService;
  passkeys: PasskeyService;
  recoveryCodes: RecoveryCodes;
  recordSecurityEvent: RecordSecurityEvent;
}) {
  const { db, clock, roles, sessions, setupLinks, recordSecurityEvent } = deps;

  /** Inserts a user (inside the caller's transaction); throws EMAIL_TAKEN. */
  async function insertUser(executor: Db, input: { email: string; displayName: string; roleIds: readonly string[]; passwordHash: string | null }): Promise<string> {
    return createUserRecord(executor, { roles, clock }, input);
  }

  /** A new user and the one-time link with which they set their password. */
  async function createUser(input: { email: string; displayName: string; roleIds: readonly string[] }, caller: Caller): Promise<{ user: UserSummary; setupPath: string }> {
    const { id, setupPath } = await db.transaction().execute(async (trx) => {
      const userId = await insertUser(trx, { ...input, passwordHash: null });
      return { id: userId, setupPath: await setupLinks.createPasswordLink(userId, trx) };
    });
    await record(caller, 'users.create', { userId: id, roleIds: [...input.roleIds].sort().join(',') });
    return { user: await getUser(id), setupPath };
  }

  async function listUsers(): Promise<UserSummary[]> {
    const rows = await db.selectFrom('users').selectAll().orderBy('created_at').execute();
    return summarise(rows);
  }

  async function getUser(id: string): Promise<UserSummary> {
    const row = await db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw new AppError('NOT_FOUND', 'No user has that id.');
    return (await summarise([row]))[0]!;
  }

  async function findUserByEmail(email: string): Promise<UserTable | undefined> {
    return db.selectFrom('users').selectAll().where('email', '=', normaliseEmail(email)).executeTakeFirst();
  }

  async function findUserById(id: string): Promise<UserTable | undefined> {
    return db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** The user's current roles and what they grant; null for an unknown or disabled user. */
  async function loadUserAccess(userId: string): Promise<UserAccess | null> {
    const user = await db.selectFrom('users').select(['id', 'email', 'display_name', 'status']).where('id', '=', userId).executeTakeFirst();
    if (!user || user.status !== 'active') return null;
    const roleIds = (await db.selectFrom('user_roles').select('role_id').where('user_id', '=', userId).execute()).map((row) => row.role_id);
    const access = await roles.resolveAccess(roleIds);
    return { user, roleIds, ...access };
  }

  async function updateUser(id: string, changes: { displayName?: string; status?: UserStatus }, caller: Caller): Promise<UserSummary> {
    const before = await getUser(id);
    if (changes.status === 'disabled' && caller.actor.kind === 'user' && caller.actor.id === id) {
      throw new AppError('INVALID_REQUEST', 'You cannot disable your own account.');
    }
    await db.transaction().execute(async (trx) => {
      await trx
        .updateTable('users')
        .set({
          ...(changes.displayName !== undefined ? { display_name: parseDisplayName(changes.displayName) } : {}),
          ...(changes.status !== undefined ? { status: changes.status } : {}),
          updated_at: clock.now(),
        })
        .where('id', '=', id)
        .execute();
      if (changes.status === 'disabled') {
        await assertUserManagerRemains(trx);
        await sessions.endUserSessions(id, 'disabled', { executor: trx });
      }
    });
    if (changes.status !== undefined && changes.status !== before.status) {
      await record(caller, changes.status === 'disabled' ? 'users.disable' : 'users.enable', { userId: id });
    }
    return getUser(id);
  }

  /** Replaces the user's roles; their sessions end, so the new roles apply from the next sign-in. */
  async function setUserRoles(id: string, roleIds: readonly string[], caller: Caller): Promise<UserSummary> {
    const before = await getUser(id);
    const unique = [...new Set(roleIds)];
    await db.transaction().execute(async (trx) => {
      await roles.assertRolesExist(unique, trx);
      await trx.deleteFrom('user_roles').where('user_id', '=', id).execute();
      if (unique.length > 0) await trx.insertInto('user_roles').values(unique.map((roleId) => ({ user_id: id, role_id: roleId }))).execute();
      await assertUserManagerRemains(trx);
      await sessions.endUserSessions(id, 'roles-changed', { executor: trx });
    });
    await record(caller, 'users.roles.change', { userId: id, before: before.roleIds.join(','), after: [...unique].sort().join(',') });
    return getUser(id);
  }

  /**
   * An admin's reset: the password is cleared, every session ends, and a new setup link is returned.
   * With `resetMfa` (a lost phone), the second factors go too and the user enrols again.
   */
  async function resetPassword(id: string, options: { resetMfa: boolean }, caller: Caller): Promise<{ setupPath: string }> {
    if (caller.actor.kind === 'user' && caller.actor.id === id) throw new AppError('INVALID_REQUEST', 'Change your own password with your current one instead.');
    const user = await getUser(id);
    const setupPath = await db.transaction().execute(async (trx) => {
      await trx.updateTable('users').set({ password_hash: null, password_changed_at: clock.now(), updated_at: clock.now() }).where('id', '=', id).execute();
      await sessions.endUserSessions(id, 'password-reset', { executor: trx });
      return setupLinks.createPasswordLink(id, trx);
    });
    if (options.resetMfa) {
      await deps.totp.removeTotp(id);
      await deps.passkeys.removeAllPasskeys(id);
      await deps.recoveryCodes.removeCodes(id);
    }
    await deps.throttle.clearAccount(user.email);
    await record(caller, 'users.password.reset', { userId: id, resetMfa: options.resetMfa });
    return { setupPath };
  }

  async function endAllSessions(id: string, caller: Caller): Promise<number> {
    await getUser(id);
    const ended = await sessions.endUserSessions(id, 'revoked');
    await record(caller, 'sessions.revoke-all', { userId: id, ended });
    return ended;
  }

  /** At least one active user must keep `users.manage`, or nobody could ever fix roles again. */
  async function assertUserManagerRemains(executor: Db): Promise<void> {
    const rows = await executor
      .selectFrom('user_roles')
      .innerJoin('users', 'users.id', 'user_roles.user_id')
      .select(['user_roles.user_id', 'user_roles.role_id'])
      .where('users.status', '=', 'active')
      .execute();
    const roleDefinitions = await roles.findRoles([...new Set(rows.map((row) => row.role_id))], executor);
    const managingRoles = new Set(roleDefinitions.filter((role) => role.permissions.includes('users.manage')).map((role) => role.id));
    if (!rows.some((row) => managingRoles.has(row.role_id))) {
      throw new AppError('LAST_USER_MANAGER', 'This change would leave no active user who can manage users.');
    }
  }

  async function summarise(rows: UserTable[]): Promise<UserSummary[]> {
    if (rows.length === 0) return [];
    const ids = rows.map((row) => row.id);
    const roleRows = await db.selectFrom('user_roles').select(['user_id', 'role_id']).where('user_id', 'in', ids).execute();
    const totpUsers = await db.selectFrom('totp_credentials').select('user_id').where('user_id', 'in', ids).where('state', '=', 'active').execute();
    const passkeyUsers = await db.selectFrom('passkeys').select('user_id').where('user_id', 'in', ids).execute();
    const withFactor = new Set([...totpUsers, ...passkeyUsers].map((row) => row.user_id));
    return rows.map((row) => ({
      id: row.id,
      email: row.email,
      displayName: row.display_name,
      status: row.status,
      roleIds: roleRows.filter((role) => role.user_id === row.id).map((role) => role.role_id).sort(),
      hasPassword: row.password_hash !== null,
      hasSecondFactor: withFactor.has(row.id),
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    }));
  }

  async function record(caller: Caller, action: string, details: Record<string, string | number | boolean | null>): Promise<void> {
    await recordSecurityEvent({ actor: caller.actor, action, outcome: 'success', sourceAddress: caller.origin.sourceAddress, requestId: caller.origin.requestId, details });
  }

  return { insertUser, createUser, listUsers, getUser, findUserByEmail, findUserById, loadUserAccess, updateUser, setUserRoles, resetPassword, endAllSessions, assertUserManagerRemains };
}

export type UserService = ReturnType<typeof createUserService>;
