import { useState } from 'react';
import type { Role, StaffUser } from '../../api/users-api';
import { useAction } from '../../hooks/use-action';
import { useApi } from '../../session/api-context';
import { Button } from '../button';
import { ErrorMessage } from '../error-message';
import { Field } from '../field';
import { Modal } from '../modal';
import { RoleCheckboxes } from './role-checkboxes';
import { SetupLinkSecret } from './setup-link-secret';

/** Create a user without a password; the answer's setup link is shown once to hand over. */
export function InviteUserDialog({ roles, onClose, onInvited }: { roles: Role[]; onClose: () => void; onInvited: (user: StaffUser) => void }) {
  const api = useApi();
  const [email, setEmail] = useState('');
  const [displayName, setDisplayName] = useState('');
  const [roleIds, setRoleIds] = useState<string[]>(['agent']);
  const [created, setCreated] = useState<{ user: StaffUser; setupPath: string } | null>(null);
  const invite = useAction(async () => {
    const answer = await api.users.inviteUser({ email: email.trim(), displayName: displayName.trim(), roleIds });
    setCreated(answer);
    onInvited(answer.user);
  });
  if (created) {
    return (
      <Modal title="User created" onClose={onClose} testId="invite-user-dialog" footer={<Button variant="primary" onClick={onClose}>Done</Button>}>
        <SetupLinkSecret setupPath={created.setupPath} name={created.user.displayName} />
      </Modal>
    );
  }
  return (
    <Modal title="Invite a user" onClose={onClose} testId="invite-user-dialog">
      <form
        className="form"
        onSubmit={(event) => {
          event.preventDefault();
          void invite.run();
        }}
      >
        <Field label="Name">
          {(props) => <input {...props} className="input" required maxLength={100} value={displayName} onChange={(event) => setDisplayName(event.target.value)} data-testid="invite-display-name" />}
        </Field>
        <Field label="Email address" hint="Their sign-in name.">
          {(props) => <input {...props} className="input" type="email" required value={email} onChange={(event) => setEmail(event.target.value)} data-testid="invite-email" />}
        </Field>
        <RoleCheckboxes roles={roles} selected={roleIds} onChange={setRoleIds} />
        <ErrorMessage error={invite.error} />
        <div className="form__actions">
          <Button type="submit" variant="primary" isBusy={invite.isBusy} data-testid="invite-submit">
            Create user and setup link
          </Button>
          <Button variant="ghost" onClick={onClose}>
            Cancel
          </Button>
        </div>
      </form>
    </Modal>
  );
}
