import { useState } from 'react';
import type { Role, StaffUser } from '../../api/users-api';
import { formatDate, formatDateTime } from '../../lib/format';
import { useApi } from '../../session/api-context';
import { useSession } from '../../session/session-context';
import { Badge } from '../badge';
import { Button } from '../button';
import { ConfirmDialog } from '../confirm-dialog';
import { EditUserRolesDialog } from './edit-user-roles-dialog';
import { ResetPasswordDialog } from './reset-password-dialog';

type OpenDialog = { kind: 'roles' | 'reset' | 'status' | 'sessions'; user: StaffUser } | null;

/** Staff accounts with their roles and state, and what an admin can do to each. */
export function UsersTable({ users, roles, onChanged }: { users: StaffUser[]; roles: Role[]; onChanged: (user?: StaffUser) => void }) {
  const api = useApi();
  const session = useSession();
  const [dialog, setDialog] = useState<OpenDialog>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const roleName = (id: string) => roles.find((role) => role.id === id)?.name ?? id;
  const close = () => setDialog(null);

  return (
    <>
      {notice ? (
        <p className="inline-notice" role="status">
          {notice}
        </p>
      ) : null}
      <div className="table-wrap">
        <table className="table" data-testid="users-table">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Roles</th>
              <th scope="col">State</th>
              <th scope="col">Created</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {users.map((user) => {
              const isSelf = user.id === session.active?.user.id;
              return (
                <tr key={user.id} data-testid="user-row" data-user-email={user.email}>
                  <td>
                    <span className="table__primary">{user.displayName}</span>
                    {isSelf ? <span className="muted small"> (you)</span> : null}
                    <span className="table__secondary">{user.email}</span>
                  </td>
                  <td>{user.roleIds.length > 0 ? user.roleIds.map(roleName).join(', ') : <span className="muted">No role</span>}</td>
                  <td>
                    <UserStateBadges user={user} />
                  </td>
                  <td className="nowrap" title={formatDateTime(user.createdAt)}>
                    {formatDate(user.createdAt)}
                  </td>
                  <td>
                    <div className="row-actions row-actions--nowrap">
                      <Button size="small" onClick={() => setDialog({ kind: 'roles', user })} data-testid="user-edit-roles">
                        Roles
                      </Button>
                      <Button size="small" onClick={() => setDialog({ kind: 'reset', user })} disabled={isSelf} data-testid="user-reset">
                        Reset
                      </Button>
                      <Button size="small" onClick={() => setDialog({ kind: 'sessions', user })} data-testid="user-end-sessions">
                        End sessions
                      </Button>
                      <Button size="small" variant={user.status === 'active' ? 'danger' : 'secondary'} onClick={() => setDialog({ kind: 'status', user })} disabled={isSelf} data-testid="user-toggle-status">
                        {user.status === 'active' ? 'Disable' : 'Enable'}
                      </Button>
                    </div>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      {dialog?.kind === 'roles' ? <EditUserRolesDialog user={dialog.user} roles={roles} onClose={close} onSaved={onChanged} /> : null}
      {dialog?.kind === 'reset' ? <ResetPasswordDialog user={dialog.user} onClose={close} onReset={() => onChanged()} /> : null}
      {dialog?.kind === 'sessions' ? (
        <ConfirmDialog
          title={`End every session of ${dialog.user.displayName}?`}
          confirmLabel="End sessions"
          isDanger
          onClose={close}
          onConfirm={async () => {
            const { ended } = await api.users.endUserSessions(dialog.user.id);
            setNotice(`${ended} session${ended === 1 ? '' : 's'} of ${dialog.user.displayName} ended.`);
          }}
        >
          <p>They are signed out everywhere at once and have to sign in again.</p>
        </ConfirmDialog>
      ) : null}
      {dialog?.kind === 'status' ? (
        <ConfirmDialog
          title={dialog.user.status === 'active' ? `Disable ${dialog.user.displayName}?` : `Enable ${dialog.user.displayName}?`}
          confirmLabel={dialog.user.status === 'active' ? 'Disable' : 'Enable'}
          isDanger={dialog.user.status === 'active'}
          onClose={close}
          onConfirm={async () => onChanged(await api.users.updateUser(dialog.user.id, { status: dialog.user.status === 'active' ? 'disabled' : 'active' }))}
        >
          <p>
            {dialog.user.status === 'active'
              ? 'They can no longer sign in, and every session of theirs ends at once. Their history stays in the audit log.'
              : 'They can sign in again with their password and second factor.'}
          </p>
        </ConfirmDialog>
      ) : null}
    </>
  );
}

function UserStateBadges({ user }: { user: StaffUser }) {
  return (
    <span className="badge-row">
      {user.status === 'active' ? <Badge tone="success">Active</Badge> : <Badge tone="neutral">Disabled</Badge>}
      {!user.hasPassword ? <Badge tone="warning" title="The setup link has not been used yet">Setup pending</Badge> : null}
      {user.hasPassword && !user.hasSecondFactor ? <Badge tone="warning">No second factor yet</Badge> : null}
    </span>
  );
}
