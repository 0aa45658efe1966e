import type { AuditLog } from '../audit/audit-log.js';
import type { Clock } from '../clock.js';
import type { Db } from '../db/database.js';
import { AppError } from '../errors.js';
import { combineRoles } from '../identity/permissions.js';
import type { RoleDefinition } from '../identity/permissions.js';
import { createRoleService } from '../identity/role-service.js';
import { appendWithAction, conversationNotFound, inboxEntry } from './inbox-access.js';
import type { InboxCaller } from './inbox-access.js';

export interface Assignee {
  id: string;
  displayName: string;
}

/**
 * Who answers which conversation. Only users who may read conversations can be assigned; each
 * change commits together with its audit entry (`conversation.assign`). The users and their roles
 * are read through the identity slice's role resolution (built-in and custom roles alike).
 */
export function createConversationAssignments({ db, clock, audit }: { db: Db; clock: Clock; audit: Pick<AuditLog, 'appendInTransaction'> }) {
  const roles = createRoleService({ db, clock });

  /** Active users holding conversations.read, by display name. */
  async function listAssignees(): Promise<Assignee[]> {
    const users = await db.selectFrom('users').select(['id', 'display_name']).where('status', '=', 'active').orderBy('display_name').orderBy('id').execute();
    const definitions = new Map((await roles.listRoles()).map((role) => [role.id, role]));
    const rolesByUser = new Map<string, RoleDefinition[]>();
    for (const { user_id: userId, role_id: roleId } of await db.selectFrom('user_roles').select(['user_id', 'role_id']).execute()) {
      const role = definitions.get(roleId);
      if (role) rolesByUser.set(userId, [...(rolesByUser.get(userId) ?? []), role]);
    }
    return users.filter((user) => mayReadConversations(rolesByUser.get(user.id) ?? [])).map((user) => ({ id: user.id, displayName: user.display_name }));
  }

  /** Assigns the conversation to `userId`, or unassigns it (null). Throws NOT_FOUND or INVALID_REQUEST. */
  async function assignConversation(caller: InboxCaller, contactId: string, userId: string | null): Promise<void> {
    if (userId !== null) await assertAssignable(userId);
    await db.transaction().execute(async (trx) => {
      const contact = await trx.selectFrom('contacts').select('id').where('id', '=', contactId).executeTakeFirst();
      if (!contact) throw conversationNotFound();
      const previous = await trx.selectFrom('conversation_assignments').select('assigned_user_id').where('contact_id', '=', contactId).executeTakeFirst();
      if (userId === null) {
        await trx.deleteFrom('conversation_assignments').where('contact_id', '=', contactId).execute();
      } else {
        const assignment = { assigned_user_id: userId, assigned_at: clock.now(), assigned_by: caller.user.userId };
        await trx
          .insertInto('conversation_assignments')
          .values({ contact_id: contactId, ...assignment })
          .onConflict((conflict) => conflict.column('contact_id').doUpdateSet(assignment))
          .execute();
      }
      const details = { assigneeId: userId, previousAssigneeId: previous?.assigned_user_id ?? null };
      await appendWithAction(audit, trx, { ...inboxEntry(caller, 'conversation.assign', { type: 'conversation', id: contactId }, details), outcome: 'success' });
    });
  }

  async function assertAssignable(userId: string): Promise<void> {
    const user = await db.selectFrom('users').select(['id', 'status']).where('id', '=', userId).executeTakeFirst();
    const roleIds = user ? (await db.selectFrom('user_roles').select('role_id').where('user_id', '=', userId).execute()).map((row) => row.role_id) : [];
    if (!user || user.status !== 'active' || !mayReadConversations(await roles.findRoles(roleIds))) {
      // One answer for unknown, disabled and unauthorised users: the assignee list shows who qualifies.
      throw new AppError('INVALID_REQUEST', 'userId: must be an active user whose role may read conversations.');
    }
  }

  return { listAssignees, assignConversation };
}

export type ConversationAssignments = ReturnType<typeof createConversationAssignments>;

function mayReadConversations(roles: readonly RoleDefinition[]): boolean {
  return combineRoles(roles).permissions.has('conversations.read');
}
