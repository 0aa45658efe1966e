import { useState } from 'react';
import { ApiError } from '../../api/api-error';
import { useAction } from '../../hooks/use-action';
import { useApi } from '../../session/api-context';
import { useSession } from '../../session/session-context';
import { NewPasswordFields } from '../auth/new-password-fields';
import { Button } from '../button';
import { ErrorMessage } from '../error-message';
import { Field } from '../field';
import { Notice } from '../notice';

export function ChangePasswordForm() {
  const api = useApi();
  const email = useSession().active?.user.email ?? '';
  const [current, setCurrent] = useState('');
  const [password, setPassword] = useState('');
  const [confirmation, setConfirmation] = useState('');
  const [isChanged, setChanged] = useState(false);
  const change = useAction(async () => {
    if (password !== confirmation) throw new ApiError({ code: 'PASSWORD_REJECTED', message: 'The two new passwords differ; type the same password twice.', status: 0 });
    await api.auth.changePassword(current, password);
    setCurrent('');
    setPassword('');
    setConfirmation('');
    setChanged(true);
  });
  return (
    <form
      className="form form--narrow"
      onSubmit={(event) => {
        event.preventDefault();
        setChanged(false);
        void change.run();
      }}
    >
      {/* Tells password managers whose password this is. */}
      <input type="email" autoComplete="username" value={email} readOnly hidden />
      <Field label="Current password">
        {(props) => <input {...props} className="input" type="password" autoComplete="current-password" required value={current} onChange={(event) => setCurrent(event.target.value)} data-testid="current-password" />}
      </Field>
      <NewPasswordFields password={password} confirmation={confirmation} onPasswordChange={setPassword} onConfirmationChange={setConfirmation} testIdPrefix="new" />
      <ErrorMessage error={change.error} />
      {isChanged ? (
        <Notice tone="success">
          <p>Your password is changed. Your other sessions were signed out.</p>
        </Notice>
      ) : null}
      <div className="form__actions">
        <Button type="submit" variant="primary" isBusy={change.isBusy} data-testid="change-password-submit">
          Change password
        </Button>
      </div>
    </form>
  );
}
