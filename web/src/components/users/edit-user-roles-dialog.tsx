import { useState } from 'react';
import type { Role, StaffUser } from '../../api/users-api';
import { useAction } from '../../hooks/use-action';
import { useApi } from '../../session/api-context';
import { Button } from '../button';
import { ErrorMessage } from '../error-message';
import { Modal } from '../modal';
import { Notice } from '../notice';
import { RoleCheckboxes } from './role-checkboxes';

export function EditUserRolesDialog({ user, roles, onClose, onSaved }: { user: StaffUser; roles: Role[]; onClose: () => void; onSaved: (user: StaffUser) => void }) {
  const api = useApi();
  const [roleIds, setRoleIds] = useState(user.roleIds);
  const save = useAction(async () => {
    onSaved(await api.users.setUserRoles(user.id, roleIds));
    onClose();
  });
  return (
    <Modal title={`Roles of ${user.displayName}`} onClose={onClose} testId="edit-roles-dialog">
      <Notice tone="info">
        <p>Changing roles ends every session of {user.displayName}; the new roles apply from their next sign-in.</p>
      </Notice>
      <RoleCheckboxes roles={roles} selected={roleIds} onChange={setRoleIds} />
      <ErrorMessage error={save.error} />
      <div className="form__actions">
        <Button variant="primary" onClick={() => void save.run()} isBusy={save.isBusy} data-testid="edit-roles-save">
          Save roles
        </Button>
        <Button variant="ghost" onClick={onClose}>
          Cancel
        </Button>
      </div>
    </Modal>
  );
}
