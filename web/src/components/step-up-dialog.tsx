import { useState } from 'react';
import { assertWithPasskey } from '../lib/passkeys';
import { useApiData } from '../hooks/use-api-data';
import { useAction } from '../hooks/use-action';
import { useApi } from '../session/api-context';
import { useSession } from '../session/session-context';
import { Button } from './button';
import { ErrorMessage } from './error-message';
import { Field } from './field';
import { Modal } from './modal';

/** "Confirm it's you": a TOTP code or a passkey, then the action that asked is retried. */
export function StepUpDialog({ onConfirmed, onCancel }: { onConfirmed: () => void; onCancel: () => void }) {
  const api = useApi();
  const session = useSession();
  const [code, setCode] = useState('');
  const factors = useApiData((signal) => api.mfa.getStatus(signal), []);
  const hasPasskeys = (factors.data?.passkeys.length ?? 0) > 0;
  const hasTotp = factors.data?.hasTotp ?? true;

  const confirmWithCode = useAction(async () => {
    session.acceptSession(await api.mfa.stepUpWithTotp(code.replace(/\s+/g, '')));
    onConfirmed();
  });
  const confirmWithPasskey = useAction(async () => {
    const options = await api.mfa.getPasskeyAuthenticationOptions('signed-in');
    session.acceptSession(await api.mfa.stepUpWithPasskey(await assertWithPasskey(options)));
    onConfirmed();
  });

  return (
    <Modal title="Confirm it’s you" onClose={onCancel} testId="step-up-dialog">
      <p>This action needs a second factor from the last few minutes. Confirm with your authenticator app{hasPasskeys ? ' or a passkey' : ''}, and it continues.</p>
      {hasTotp ? (
        <form
          className="form"
          onSubmit={(event) => {
            event.preventDefault();
            void confirmWithCode.run();
          }}
        >
          <Field label="Code from your authenticator app">
            {(props) => (
              <input
                {...props}
                className="input input--code"
                inputMode="numeric"
                autoComplete="one-time-code"
                autoFocus
                required
                value={code}
                onChange={(event) => setCode(event.target.value)}
                data-testid="step-up-code"
              />
            )}
          </Field>
          <div className="form__actions">
            <Button type="submit" variant="primary" isBusy={confirmWithCode.isBusy} data-testid="step-up-submit">
              Confirm
            </Button>
            <Button variant="ghost" onClick={onCancel} data-testid="step-up-cancel">
              Cancel
            </Button>
          </div>
        </form>
      ) : null}
      {hasPasskeys ? (
        <div className="step-up__passkey">
          <Button onClick={() => void confirmWithPasskey.run()} isBusy={confirmWithPasskey.isBusy} data-testid="step-up-passkey">
            Use a passkey
          </Button>
        </div>
      ) : null}
      <ErrorMessage error={confirmWithCode.error ?? confirmWithPasskey.error} />
    </Modal>
  );
}
