import { randomUUID } from 'node:crypto';
import type { Clock } from '../clock.js';
import type { Db } from '../db/database.js';
import { AppError } from '../errors.js';
import { normaliseEmail } from './identity-tokens.js';
import type { RoleService } from './role-service.js';

/**
 * Inserts a user and their roles (inside the caller's transaction): the API, the bootstrap and
 * `rampart users add` all create users here. Throws EMAIL_TAKEN or INVALID_REQUEST.
 */
export async function createUserRecord(
  executor: Db,
  { roles, clock }: { roles: Pick<RoleService, 'assertRolesExist'>; clock: Clock },
  input: { email: string; displayName: string; roleIds: readonly string[]; passwordHash: string | null },
): Promise<string> {
  const email = parseEmail(input.email);
  const displayName = parseDisplayName(input.displayName);
  const roleIds = [...new Set(input.roleIds)];
  await roles.assertRolesExist(roleIds, executor);
  const taken = await executor.selectFrom('users').select('id').where('email', '=', email).executeTakeFirst();
  if (taken) throw new AppError('EMAIL_TAKEN', 'Another user already has this email address.');
  const now = clock.now();
  const id = randomUUID();
  await executor
    .insertInto('users')
    .values({ id, email, display_name: displayName, status: 'active', password_hash: input.passwordHash, password_changed_at: input.passwordHash ? now : null, created_at: now, updated_at: now })
    .execute();
  if (roleIds.length > 0) await executor.insertInto('user_roles').values(roleIds.map((roleId) => ({ user_id: id, role_id: roleId }))).execute();
  return id;
}

export function parseEmail(email: string): string {
  const normalised = normaliseEmail(email);
  if (normalised.length > 254 || !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(normalised)) throw new AppError('INVALID_REQUEST', 'Give a valid email address.');
  return normalised;
}

export function parseDisplayName(name: string): string {
  const trimmed = name.trim();
  if (trimmed.length === 0 || trimmed.length > 100) throw new AppError('INVALID_REQUEST', 'A display name has 1 to 100 characters.');
  return trimmed;
}
