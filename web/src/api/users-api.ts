import type { ApiClient } from './http-client';
import type { ConversationAccess, Permission } from './permissions';

export interface StaffUser {
  id: string;
  email: string;
  displayName: string;
  status: 'active' | 'disabled';
  roleIds: string[];
  hasPassword: boolean;
  hasSecondFactor: boolean;
  createdAt: number;
  updatedAt: number;
}

export interface Role {
  id: string;
  name: string;
  description: string;
  permissions: Permission[];
  conversationAccess: ConversationAccess;
  isBuiltIn: boolean;
}

export interface RoleInput {
  name: string;
  description: string;
  permissions: Permission[];
  conversationAccess: ConversationAccess;
}

/** `/api/v1/users` and `/api/v1/roles` (users.manage; changes need a recent second factor). */
export function createUsersApi(client: ApiClient) {
  const userPath = (id: string) => `/api/v1/users/${encodeURIComponent(id)}`;
  const rolePath = (id: string) => `/api/v1/roles/${encodeURIComponent(id)}`;
  return {
    listUsers: () => client.requestJson<StaffUser[]>('/api/v1/users'),
    /** The setup path (`/setup#token=…`) is in this answer only. */
    inviteUser: (input: { email: string; displayName: string; roleIds: string[] }) =>
      client.requestJson<{ user: StaffUser; setupPath: string }>('/api/v1/users', { method: 'POST', body: input }),
    updateUser: (id: string, change: { displayName?: string; status?: 'active' | 'disabled' }) =>
      client.requestJson<StaffUser>(userPath(id), { method: 'PATCH', body: change }),
    setUserRoles: (id: string, roleIds: string[]) => client.requestJson<StaffUser>(`${userPath(id)}/roles`, { method: 'PUT', body: { roleIds } }),
    resetPassword: (id: string, resetMfa: boolean) =>
      client.requestJson<{ setupPath: string }>(`${userPath(id)}/password-reset`, { method: 'POST', body: { resetMfa } }),
    endUserSessions: (id: string) => client.requestJson<{ ended: number }>(`${userPath(id)}/sessions`, { method: 'DELETE' }),
    listRoles: () => client.requestJson<Role[]>('/api/v1/roles'),
    createRole: (input: RoleInput) => client.requestJson<Role>('/api/v1/roles', { method: 'POST', body: input }),
    updateRole: (id: string, input: RoleInput) => client.requestJson<Role>(rolePath(id), { method: 'PUT', body: input }),
    deleteRole: (id: string) => client.requestJson<void>(rolePath(id), { method: 'DELETE' }),
  };
}

export type UsersApi = ReturnType<typeof createUsersApi>;
