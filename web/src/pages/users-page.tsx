import { useState } from 'react';
import { Button } from '../components/button';
import { Card } from '../components/card';
import { EmptyState } from '../components/empty-state';
import { ErrorMessage } from '../components/error-message';
import { LoadingState } from '../components/loading-state';
import { PageHeader } from '../components/page-header';
import { InviteUserDialog } from '../components/users/invite-user-dialog';
import { RolesTable } from '../components/users/roles-table';
import { UsersTable } from '../components/users/users-table';
import { useApiData } from '../hooks/use-api-data';
import { useDocumentTitle } from '../hooks/use-document-title';
import { useApi } from '../session/api-context';

/** Users and roles (users.manage). Every change asks for a recent second factor. */
export function UsersPage() {
  useDocumentTitle('Users and roles');
  const api = useApi();
  const users = useApiData((_signal) => api.users.listUsers(), []);
  const roles = useApiData((_signal) => api.users.listRoles(), []);
  const [isInviting, setInviting] = useState(false);
  const [isCreatingRole, setCreatingRole] = useState(false);
  return (
    <div className="page" data-testid="users-page">
      <PageHeader
        title="Users and roles"
        description="Who can use this dashboard and what they may do. Changes here ask you to confirm with your second factor."
        actions={
          <Button variant="primary" onClick={() => setInviting(true)} disabled={!roles.data} data-testid="invite-user">
            Invite a user
          </Button>
        }
      />
      <Card title="Users">
        {users.isLoading ? <LoadingState label="Loading users…" /> : null}
        <ErrorMessage error={users.error} />
        {users.data && users.data.length === 0 ? <EmptyState title="No users">Invite your team with “Invite a user”.</EmptyState> : null}
        {users.data && users.data.length > 0 ? <UsersTable users={users.data} roles={roles.data ?? []} onChanged={() => users.reload()} /> : null}
      </Card>
      <Card
        title="Roles"
        description="Built-in roles cannot be changed; create a custom role for anything else."
        actions={
          <Button size="small" onClick={() => setCreatingRole(true)} data-testid="create-role">
            Create a role
          </Button>
        }
      >
        {roles.isLoading ? <LoadingState label="Loading roles…" /> : null}
        <ErrorMessage error={roles.error} />
        {roles.data ? (
          <RolesTable
            roles={roles.data}
            isCreating={isCreatingRole}
            onCloseCreate={() => setCreatingRole(false)}
            onChanged={() => {
              roles.reload();
              users.reload();
            }}
          />
        ) : null}
      </Card>
      {isInviting && roles.data ? <InviteUserDialog roles={roles.data} onClose={() => setInviting(false)} onInvited={() => users.reload()} /> : null}
    </div>
  );
}
