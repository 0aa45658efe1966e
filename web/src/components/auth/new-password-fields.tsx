import { Field } from '../field';

/** A new password typed twice, with the policy said up front (the server checks it again). */
export function NewPasswordFields({ password, confirmation, onPasswordChange, onConfirmationChange, testIdPrefix }: {
  password: string;
  confirmation: string;
  onPasswordChange: (value: string) => void;
  onConfirmationChange: (value: string) => void;
  testIdPrefix: string;
}) {
  const isMismatch = confirmation.length > 0 && confirmation !== password;
  return (
    <>
      <Field label="New password" hint="At least 12 characters. A few unrelated words make a strong password; common passwords and ones built from your email are refused.">
        {(props) => (
          <input
            {...props}
            className="input"
            type="password"
            autoComplete="new-password"
            minLength={12}
            maxLength={1024}
            required
            value={password}
            onChange={(event) => onPasswordChange(event.target.value)}
            data-testid={`${testIdPrefix}-password`}
          />
        )}
      </Field>
      <Field label="Repeat the new password" hint={isMismatch ? 'The two passwords differ.' : undefined}>
        {(props) => (
          <input
            {...props}
            className="input"
            type="password"
            autoComplete="new-password"
            required
            aria-invalid={isMismatch || undefined}
            value={confirmation}
            onChange={(event) => onConfirmationChange(event.target.value)}
            data-testid={`${testIdPrefix}-password-confirm`}
          />
        )}
      </Field>
    </>
  );
}
