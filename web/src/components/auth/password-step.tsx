import { useState } from 'react';
import type { SessionInfo } from '../../api/auth-api';
import { useAction } from '../../hooks/use-action';
import { useApi } from '../../session/api-context';
import { Button } from '../button';
import { ErrorMessage } from '../error-message';
import { Field } from '../field';

export function PasswordStep({ onSignedIn }: { onSignedIn: (info: SessionInfo) => void }) {
  const api = useApi();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const signIn = useAction(async () => {
    const info = await api.auth.signIn(email.trim(), password);
    setPassword('');
    onSignedIn(info);
  });
  return (
    <form
      className="form"
      onSubmit={(event) => {
        event.preventDefault();
        void signIn.run();
      }}
    >
      <Field label="Email address">
        {(props) => (
          <input {...props} className="input" type="email" autoComplete="username" autoFocus required value={email} onChange={(event) => setEmail(event.target.value)} data-testid="sign-in-email" />
        )}
      </Field>
      <Field label="Password">
        {(props) => (
          <input
            {...props}
            className="input"
            type="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(event) => setPassword(event.target.value)}
            data-testid="sign-in-password"
          />
        )}
      </Field>
      <ErrorMessage error={signIn.error} testId="sign-in-error" />
      <div className="form__actions">
        <Button type="submit" variant="primary" isBusy={signIn.isBusy} data-testid="sign-in-submit" className="button--wide">
          Continue
        </Button>
      </div>
      <p className="muted small">Forgot your password or lost your second factor? An administrator can send you a new setup link.</p>
    </form>
  );
}
