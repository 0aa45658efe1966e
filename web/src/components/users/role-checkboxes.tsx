import type { Role } from '../../api/users-api';

/** Pick roles; each shows what it grants. */
export function RoleCheckboxes({ roles, selected, onChange }: { roles: Role[]; selected: string[]; onChange: (roleIds: string[]) => void }) {
  return (
    <fieldset className="checkbox-list">
      <legend className="field__label">Roles</legend>
      {roles.map((role) => (
        <label key={role.id} className="checkbox checkbox--described">
          <input
            type="checkbox"
            checked={selected.includes(role.id)}
            onChange={(event) => onChange(event.target.checked ? [...selected, role.id] : selected.filter((id) => id !== role.id))}
            data-testid={`role-option-${role.id}`}
          />
          <span>
            <span className="checkbox__label">{role.name}</span>
            <span className="checkbox__description">{role.description || role.permissions.join(', ')}</span>
          </span>
        </label>
      ))}
    </fieldset>
  );
}
