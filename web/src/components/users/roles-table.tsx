import { useState } from 'react';
import type { Role } from '../../api/users-api';
import { useApi } from '../../session/api-context';
import { Badge } from '../badge';
import { Button } from '../button';
import { ConfirmDialog } from '../confirm-dialog';
import { RoleEditorDialog } from './role-editor-dialog';

/** Built-in and custom roles with their permissions; custom ones can be changed or deleted. */
export function RolesTable({ roles, onChanged, isCreating, onCloseCreate }: { roles: Role[]; onChanged: () => void; isCreating: boolean; onCloseCreate: () => void }) {
  const api = useApi();
  const [editing, setEditing] = useState<Role | null>(null);
  const [deleting, setDeleting] = useState<Role | null>(null);
  return (
    <>
      <div className="table-wrap">
        <table className="table" data-testid="roles-table">
          <thead>
            <tr>
              <th scope="col">Role</th>
              <th scope="col">Permissions</th>
              <th scope="col">Conversations</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {roles.map((role) => (
              <tr key={role.id} data-testid="role-row" data-role-id={role.id}>
                <td>
                  <span className="table__primary">{role.name}</span> {role.isBuiltIn ? <Badge>Built-in</Badge> : <Badge tone="info">Custom</Badge>}
                  {role.description ? <span className="table__secondary">{role.description}</span> : null}
                </td>
                <td>
                  <span className="tag-list">
                    {role.permissions.length === 0 ? <span className="muted">None</span> : null}
                    {role.permissions.map((permission) => (
                      <code key={permission} className="tag">
                        {permission}
                      </code>
                    ))}
                  </span>
                </td>
                <td className="nowrap">{role.conversationAccess === 'all' ? 'Every conversation' : 'Assigned only'}</td>
                <td>
                  {role.isBuiltIn ? null : (
                    <div className="row-actions">
                      <Button size="small" onClick={() => setEditing(role)} data-testid="role-edit">
                        Change
                      </Button>
                      <Button size="small" variant="danger" onClick={() => setDeleting(role)} data-testid="role-delete">
                        Delete
                      </Button>
                    </div>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {isCreating ? <RoleEditorDialog role={null} onClose={onCloseCreate} onSaved={onChanged} /> : null}
      {editing ? <RoleEditorDialog role={editing} onClose={() => setEditing(null)} onSaved={onChanged} /> : null}
      {deleting ? (
        <ConfirmDialog
          title={`Delete the role ${deleting.name}?`}
          confirmLabel="Delete"
          isDanger
          onClose={() => setDeleting(null)}
          onConfirm={async () => {
            await api.users.deleteRole(deleting.id);
            onChanged();
          }}
        >
          <p>Only a role nobody holds can be deleted.</p>
        </ConfirmDialog>
      ) : null}
    </>
  );
}
