import { useState } from 'react';
import { isApiError, sessionEndingCodes } from '../../api/api-error';
import type { SessionInfo } from '../../api/auth-api';
import { useAction } from '../../hooks/use-action';
import { assertWithPasskey } from '../../lib/passkeys';
import { useApi } from '../../session/api-context';
import { Button } from '../button';
import { ErrorMessage } from '../error-message';
import { Field } from '../field';

type Mode = 'totp' | 'recovery-code';

/**
 * After the password: a code from the authenticator app, a passkey, or a recovery code.
 * `onEnded` runs when the pending sign-in is over (too many wrong codes, or 10 minutes passed).
 */
export function SecondFactorStep({ onVerified, onEnded, onStartOver }: { onVerified: (info: SessionInfo) => void; onEnded: () => void; onStartOver: () => void }) {
  const api = useApi();
  const [mode, setMode] = useState<Mode>('totp');
  const [code, setCode] = useState('');

  /** A wrong factor may have used up the session's tries: if the server no longer knows it, start over. */
  const finish = async (verify: () => Promise<SessionInfo>) => {
    try {
      onVerified(await verify());
    } catch (error) {
      if (isApiError(error) && error.status === 401 && (sessionEndingCodes.has(error.code) || !(await isStillPending()))) onEnded();
      throw error;
    }
  };
  const isStillPending = () =>
    api.auth.getSession().then(
      (info) => info.session.state === 'pending-mfa',
      () => false,
    );

  const verifyCode = useAction(() => finish(() => (mode === 'totp' ? api.mfa.verifyTotp(code.replace(/\s+/g, '')) : api.mfa.verifyRecoveryCode(code.trim()))));
  const verifyPasskey = useAction(() =>
    finish(async () => {
      const options = await api.mfa.getPasskeyAuthenticationOptions('sign-in');
      return api.mfa.verifyPasskey(await assertWithPasskey(options));
    }),
  );
  const switchMode = (next: Mode) => {
    setMode(next);
    setCode('');
    verifyCode.clearError();
  };

  return (
    <div className="second-factor-step" data-testid="second-factor-step">
      <form
        className="form"
        onSubmit={(event) => {
          event.preventDefault();
          void verifyCode.run();
        }}
      >
        {mode === 'totp' ? (
          <Field label="Code from your authenticator app" hint="Six digits; a new one appears every 30 seconds.">
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
                data-testid="second-factor-code"
              />
            )}
          </Field>
        ) : (
          <Field label="Recovery code" hint="One of the ten codes you saved when you set up your second factor. Each works once.">
            {(props) => (
              <input
                {...props}
                className="input input--code"
                autoComplete="off"
                spellCheck={false}
                autoFocus
                required
                value={code}
                onChange={(event) => setCode(event.target.value)}
                data-testid="recovery-code-input"
              />
            )}
          </Field>
        )}
        <ErrorMessage error={verifyCode.error ?? verifyPasskey.error} />
        <div className="form__actions">
          <Button type="submit" variant="primary" isBusy={verifyCode.isBusy} data-testid={mode === 'totp' ? 'second-factor-submit' : 'recovery-code-submit'}>
            {mode === 'totp' ? 'Verify' : 'Use recovery code'}
          </Button>
        </div>
      </form>
      <div className="divider">
        <span>or</span>
      </div>
      <div className="second-factor-step__alternatives">
        <Button onClick={() => void verifyPasskey.run()} isBusy={verifyPasskey.isBusy} data-testid="second-factor-passkey">
          Use a passkey
        </Button>
        {mode === 'totp' ? (
          <Button variant="ghost" onClick={() => switchMode('recovery-code')} data-testid="second-factor-use-recovery">
            Use a recovery code
          </Button>
        ) : (
          <Button variant="ghost" onClick={() => switchMode('totp')} data-testid="second-factor-use-totp">
            Use the authenticator app
          </Button>
        )}
        <Button variant="ghost" onClick={onStartOver} data-testid="second-factor-start-over">
          Sign in as someone else
        </Button>
      </div>
    </div>
  );
}
