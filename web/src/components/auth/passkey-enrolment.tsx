import { useState } from 'react';
import type { EnrolmentAnswer, PasskeySummary, Stage } from '../../api/mfa-api';
import { useAction } from '../../hooks/use-action';
import { createPasskeyCredential, isPasskeySupported } from '../../lib/passkeys';
import { useApi } from '../../session/api-context';
import { Button } from '../button';
import { ErrorMessage } from '../error-message';
import { Field } from '../field';
import { Notice } from '../notice';

/** Create a passkey on this device (or a security key) and register it with Rampart. */
export function PasskeyEnrolment({ stage, onEnrolled }: { stage: Stage; onEnrolled: (answer: EnrolmentAnswer & { passkey: PasskeySummary }) => void }) {
  const api = useApi();
  const [name, setName] = useState(defaultPasskeyName());
  const register = useAction(async () => {
    const options = await api.mfa.getPasskeyRegistrationOptions(stage);
    const credential = await createPasskeyCredential(options);
    onEnrolled(await api.mfa.registerPasskey(credential, name.trim() || 'Passkey', stage));
  });
  if (!isPasskeySupported()) return <Notice tone="info">This browser cannot create passkeys. Use an authenticator app instead.</Notice>;
  return (
    <form
      className="form"
      data-testid="passkey-enrolment"
      onSubmit={(event) => {
        event.preventDefault();
        void register.run();
      }}
    >
      <p>A passkey lives in this device (or a security key) and is unlocked with your fingerprint, face or PIN. Name it so you can recognise it later.</p>
      <Field label="Passkey name">
        {(props) => <input {...props} className="input" maxLength={100} value={name} onChange={(event) => setName(event.target.value)} data-testid="passkey-name" />}
      </Field>
      <ErrorMessage error={register.error} />
      <div className="form__actions">
        <Button type="submit" variant="primary" isBusy={register.isBusy} data-testid="passkey-enrol-submit">
          Create a passkey
        </Button>
      </div>
    </form>
  );
}

function defaultPasskeyName(): string {
  const platform = /Mac/.test(navigator.userAgent) ? 'Mac' : /Windows/.test(navigator.userAgent) ? 'Windows PC' : /Android/.test(navigator.userAgent) ? 'Android phone' : /iPhone|iPad/.test(navigator.userAgent) ? 'iPhone' : 'this device';
  return `Passkey on ${platform}`;
}
