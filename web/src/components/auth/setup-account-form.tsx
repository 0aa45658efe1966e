import { useState } from 'react';
import type { SessionInfo, SetupLinkPurpose } from '../../api/auth-api';
import { ApiError } from '../../api/api-error';
import { useAction } from '../../hooks/use-action';
import { useApi } from '../../session/api-context';
import { Button } from '../button';
import { ErrorMessage } from '../error-message';
import { Field } from '../field';
import { NewPasswordFields } from './new-password-fields';

/** The first step of a setup link: the first admin's account, or an invited user's password. */
export function SetupAccountForm({ token, purpose, onCreated }: { token: string; purpose: SetupLinkPurpose; onCreated: (info: SessionInfo) => void }) {
  const api = useApi();
  const [displayName, setDisplayName] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [confirmation, setConfirmation] = useState('');
  const submit = useAction(async () => {
    if (password !== confirmation) throw new ApiError({ code: 'PASSWORD_REJECTED', message: 'The two passwords differ; type the same password twice.', status: 0 });
    const info =
      purpose.kind === 'bootstrap'
        ? await api.auth.createFirstAdmin({ token, email: email.trim(), displayName: displayName.trim(), password })
        : await api.auth.completeSetup({ token, password });
    onCreated(info);
  });
  return (
    <form
      className="form"
      data-testid="setup-account-form"
      onSubmit={(event) => {
        event.preventDefault();
        void submit.run();
      }}
    >
      {purpose.kind === 'bootstrap' ? (
        <>
          <Field label="Your name" hint="Shown to colleagues, for example on assigned conversations.">
            {(props) => <input {...props} className="input" autoComplete="name" required maxLength={100} value={displayName} onChange={(event) => setDisplayName(event.target.value)} data-testid="setup-display-name" />}
          </Field>
          <Field label="Email address" hint="Your sign-in name.">
            {(props) => <input {...props} className="input" type="email" autoComplete="username" required value={email} onChange={(event) => setEmail(event.target.value)} data-testid="setup-email" />}
          </Field>
        </>
      ) : (
        <p className="setup-identity">
          <input type="email" autoComplete="username" value={purpose.email} readOnly hidden />
          Setting the password of <strong>{purpose.displayName}</strong> ({purpose.email}).
        </p>
      )}
      <NewPasswordFields password={password} confirmation={confirmation} onPasswordChange={setPassword} onConfirmationChange={setConfirmation} testIdPrefix="setup" />
      <ErrorMessage error={submit.error} testId="setup-error" />
      <div className="form__actions">
        <Button type="submit" variant="primary" isBusy={submit.isBusy} data-testid="setup-submit">
          {purpose.kind === 'bootstrap' ? 'Create the admin account' : 'Set my password'}
        </Button>
      </div>
    </form>
  );
}
