import { useState } from 'react';
import type { EnrolmentAnswer, Stage } from '../../api/mfa-api';
import { PasskeyEnrolment } from './passkey-enrolment';
import { TotpEnrolment } from './totp-enrolment';

type Method = 'totp' | 'passkey';

/** The first second factor: an authenticator app (the default) or a passkey. */
export function EnrolSecondFactor({ stage, onEnrolled }: { stage: Stage; onEnrolled: (answer: EnrolmentAnswer) => void }) {
  const [method, setMethod] = useState<Method>('totp');
  return (
    <div className="enrol-second-factor">
      <div className="segmented" role="group" aria-label="Second factor">
        <button type="button" className="segmented__option" aria-pressed={method === 'totp'} onClick={() => setMethod('totp')} data-testid="enrol-method-totp">
          Authenticator app
        </button>
        <button type="button" className="segmented__option" aria-pressed={method === 'passkey'} onClick={() => setMethod('passkey')} data-testid="enrol-method-passkey">
          Passkey
        </button>
      </div>
      {method === 'totp' ? <TotpEnrolment stage={stage} onEnrolled={onEnrolled} /> : <PasskeyEnrolment stage={stage} onEnrolled={onEnrolled} />}
    </div>
  );
}
