import { randomUUID } from 'node:crypto';
import type { Clock } from '../clock.js';
import type { Db } from '../db/database.js';
import { AppError } from '../errors.js';
import { builtInRoles, combineRoles, findBuiltInRole, isPermission } from './permissions.js';
import type { ConversationAccess, Permission, RoleDefinition } from './permissions.js';
import type { RoleTable } from './identity.table.js';

export interface RoleInput {
  name: string;
  description?: string;
  permissions: readonly string[];
  conversationAccess: ConversationAccess;
}

/**
 * Roles: the built-in ones (code, read-only) and custom ones (the `roles` table). Permissions are
 * resolved from the roles on every request, so a changed role takes effect at once.
 */
export function createRoleService({ db, clock }: { db: Db; clock: Clock }) {
  async function listRoles(): Promise<RoleDefinition[]> {
    const rows = await db.selectFrom('roles').selectAll().orderBy('name_key').execute();
    return [...builtInRoles, ...rows.map(toDefinition)];
  }

  async function findRoles(ids: readonly string[], executor: Db = db): Promise<RoleDefinition[]> {
    const builtIn = ids.map(findBuiltInRole).filter((role): role is RoleDefinition => role !== undefined);
    const customIds = ids.filter((id) => !findBuiltInRole(id));
    const custom = customIds.length === 0 ? [] : await executor.selectFrom('roles').selectAll().where('id', 'in', customIds).execute();
    return [...builtIn, ...custom.map(toDefinition)];
  }

  /** Throws INVALID_REQUEST naming the ids that are no role. */
  async function assertRolesExist(ids: readonly string[], executor: Db = db): Promise<void> {
    const found = new Set((await findRoles(ids, executor)).map((role) => role.id));
    const unknown = ids.filter((id) => !found.has(id));
    if (unknown.length > 0) throw new AppError('INVALID_REQUEST', `Unknown role(s): ${unknown.map((id) => id.slice(0, 40)).join(', ')}.`);
  }

  async function createRole(input: RoleInput): Promise<RoleDefinition> {
    const values = validate(input);
    const now = clock.now();
    const row: RoleTable = { id: randomUUID(), ...values, created_at: now, updated_at: now };
    await assertNameFree(row.name_key, null);
    await db.insertInto('roles').values(row).execute();
    return toDefinition(row);
  }

  /** Changes a custom role; `assertManagersRemain` runs inside the transaction (users.manage must stay reachable). */
  async function updateRole(id: string, input: RoleInput, assertManagersRemain: (trx: Db) => Promise<void>): Promise<{ before: RoleDefinition; after: RoleDefinition }> {
    if (findBuiltInRole(id)) throw new AppError('ROLE_BUILT_IN', 'Built-in roles cannot be changed; create a custom role instead.');
    const values = validate(input);
    return db.transaction().execute(async (trx) => {
      const existing = await trx.selectFrom('roles').selectAll().where('id', '=', id).executeTakeFirst();
      if (!existing) throw new AppError('NOT_FOUND', 'No role has that id.');
      await assertNameFree(values.name_key, id, trx);
      const row: RoleTable = { ...existing, ...values, updated_at: clock.now() };
      await trx.updateTable('roles').set(values).set({ updated_at: row.updated_at }).where('id', '=', id).execute();
      await assertManagersRemain(trx);
      return { before: toDefinition(existing), after: toDefinition(row) };
    });
  }

  async function deleteRole(id: string): Promise<void> {
    if (findBuiltInRole(id)) throw new AppError('ROLE_BUILT_IN', 'Built-in roles cannot be deleted.');
    await db.transaction().execute(async (trx) => {
      const assigned = await trx.selectFrom('user_roles').select('user_id').where('role_id', '=', id).executeTakeFirst();
      if (assigned) throw new AppError('ROLE_IN_USE', 'The role is still assigned to users; take it from them first.');
      const result = await trx.deleteFrom('roles').where('id', '=', id).executeTakeFirst();
      if (Number(result.numDeletedRows) === 0) throw new AppError('NOT_FOUND', 'No role has that id.');
    });
  }

  /** What a set of role ids grants together. */
  async function resolveAccess(roleIds: readonly string[]): Promise<ReturnType<typeof combineRoles>> {
    return combineRoles(await findRoles(roleIds));
  }

  async function assertNameFree(nameKey: string, exceptId: string | null, executor: Db = db): Promise<void> {
    const isBuiltInName = builtInRoles.some((role) => role.id === nameKey || role.name.toLowerCase() === nameKey);
    const clash = await executor.selectFrom('roles').select('id').where('name_key', '=', nameKey).executeTakeFirst();
    if (isBuiltInName || (clash && clash.id !== exceptId)) throw new AppError('ROLE_NAME_TAKEN', 'Another role already has this name.');
  }

  return { listRoles, findRoles, assertRolesExist, createRole, updateRole, deleteRole, resolveAccess };
}

export type RoleService = ReturnType<typeof createRoleService>;

function validate(input: RoleInput): Omit<RoleTable, 'id' | 'created_at' | 'updated_at'> {
  const name = input.name.trim();
  if (name.length === 0 || name.length > 60) throw new AppError('INVALID_REQUEST', 'A role needs a name of 1 to 60 characters.');
  const unknown = input.permissions.filter((permission) => !isPermission(permission));
  if (unknown.length > 0) throw new AppError('INVALID_REQUEST', `Unknown permission(s): ${unknown.map((item) => item.slice(0, 40)).join(', ')}.`);
  return {
    name,
    name_key: name.toLowerCase(),
    description: (input.description ?? '').trim().slice(0, 500),
    permissions: JSON.stringify([...new Set(input.permissions)].sort()),
    conversation_access: input.conversationAccess,
  };
}

function toDefinition(row: RoleTable): RoleDefinition {
  const stored = JSON.parse(row.permissions) as string[];
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    permissions: stored.filter(isPermission) as Permission[],
    conversationAccess: row.conversation_access === 'all' ? 'all' : 'assigned',
    isBuiltIn: false,
  };
}
