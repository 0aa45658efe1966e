import { useState } from 'react';
import type { ConversationAccess, Permission } from '../../api/permissions';
import { permissionDescriptions, permissions } from '../../api/permissions';
import type { Role, RoleInput } from '../../api/users-api';
import { useAction } from '../../hooks/use-action';
import { useApi } from '../../session/api-context';
import { Button } from '../button';
import { ErrorMessage } from '../error-message';
import { Field } from '../field';
import { Modal } from '../modal';

/** Create or change a custom role: its name, permissions, and which conversations it reaches. */
export function RoleEditorDialog({ role, onClose, onSaved }: { role: Role | null; onClose: () => void; onSaved: () => void }) {
  const api = useApi();
  const [input, setInput] = useState<RoleInput>(
    role ? { name: role.name, description: role.description, permissions: role.permissions, conversationAccess: role.conversationAccess } : { name: '', description: '', permissions: [], conversationAccess: 'assigned' },
  );
  const save = useAction(async () => {
    const cleaned = { ...input, name: input.name.trim(), description: input.description.trim() };
    if (role) await api.users.updateRole(role.id, cleaned);
    else await api.users.createRole(cleaned);
    onSaved();
    onClose();
  });
  const togglePermission = (permission: Permission, isOn: boolean) =>
    setInput((current) => ({ ...current, permissions: isOn ? [...current.permissions, permission] : current.permissions.filter((item) => item !== permission) }));
  return (
    <Modal title={role ? `Change the role ${role.name}` : 'Create a role'} onClose={onClose} testId="role-editor-dialog">
      <form
        className="form"
        onSubmit={(event) => {
          event.preventDefault();
          void save.run();
        }}
      >
        <Field label="Name">
          {(props) => <input {...props} className="input" required maxLength={60} value={input.name} onChange={(event) => setInput({ ...input, name: event.target.value })} data-testid="role-name" />}
        </Field>
        <Field label="Description" hint="Optional: what this role is for.">
          {(props) => <input {...props} className="input" maxLength={500} value={input.description} onChange={(event) => setInput({ ...input, description: event.target.value })} />}
        </Field>
        <fieldset className="checkbox-list">
          <legend className="field__label">Permissions</legend>
          {permissions.map((permission) => (
            <label key={permission} className="checkbox checkbox--described">
              <input type="checkbox" checked={input.permissions.includes(permission)} onChange={(event) => togglePermission(permission, event.target.checked)} data-testid={`permission-${permission}`} />
              <span>
                <span className="checkbox__label">{permissionDescriptions[permission]}</span>
                <span className="checkbox__description">{permission}</span>
              </span>
            </label>
          ))}
        </fieldset>
        <Field label="Conversations it reaches" hint="Only matters with a conversation permission.">
          {(props) => (
            <select {...props} className="input input--select" value={input.conversationAccess} onChange={(event) => setInput({ ...input, conversationAccess: event.target.value as ConversationAccess })}>
              <option value="assigned">Only those assigned to the user</option>
              <option value="all">Every conversation</option>
            </select>
          )}
        </Field>
        <ErrorMessage error={save.error} />
        <div className="form__actions">
          <Button type="submit" variant="primary" isBusy={save.isBusy} data-testid="role-save">
            {role ? 'Save the role' : 'Create the role'}
          </Button>
          <Button variant="ghost" onClick={onClose}>
            Cancel
          </Button>
        </div>
      </form>
    </Modal>
  );
}
