import { useState } from 'react';
import type { StaffUser } from '../../api/users-api';
import { useAction } from '../../hooks/use-action';
import { useApi } from '../../session/api-context';
import { Button } from '../button';
import { ErrorMessage } from '../error-message';
import { Modal } from '../modal';
import { SetupLinkSecret } from './setup-link-secret';

/** Clears a user's password (optionally their second factors too) and shows the new setup link once. */
export function ResetPasswordDialog({ user, onClose, onReset }: { user: StaffUser; onClose: () => void; onReset: () => void }) {
  const api = useApi();
  const [resetMfa, setResetMfa] = useState(false);
  const [setupPath, setSetupPath] = useState<string | null>(null);
  const reset = useAction(async () => {
    setSetupPath((await api.users.resetPassword(user.id, resetMfa)).setupPath);
    onReset();
  });
  if (setupPath) {
    return (
      <Modal title="Password reset" onClose={onClose} testId="reset-password-dialog" footer={<Button variant="primary" onClick={onClose}>Done</Button>}>
        <SetupLinkSecret setupPath={setupPath} name={user.displayName} />
      </Modal>
    );
  }
  return (
    <Modal title={`Reset the password of ${user.displayName}`} onClose={onClose} testId="reset-password-dialog">
      <p>Their password stops working and every session of theirs ends at once. You get a new setup link to give them.</p>
      <label className="checkbox checkbox--described">
        <input type="checkbox" checked={resetMfa} onChange={(event) => setResetMfa(event.target.checked)} data-testid="reset-mfa" />
        <span>
          <span className="checkbox__label">Also remove their second factors</span>
          <span className="checkbox__description">For a lost phone or security key: they set up a new one with the link.</span>
        </span>
      </label>
      <ErrorMessage error={reset.error} />
      <div className="form__actions">
        <Button variant="danger" onClick={() => void reset.run()} isBusy={reset.isBusy} data-testid="reset-password-confirm">
          Reset the password
        </Button>
        <Button variant="ghost" onClick={onClose}>
          Cancel
        </Button>
      </div>
    </Modal>
  );
}
