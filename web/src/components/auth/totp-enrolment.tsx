import QRCode from 'qrcode';
import { useEffect, useState } from 'react';
import type { EnrolmentAnswer, Stage } from '../../api/mfa-api';
import { useAction } from '../../hooks/use-action';
import { useApiData } from '../../hooks/use-api-data';
import { readTotpSecret } from '../../lib/totp-uri';
import { useApi } from '../../session/api-context';
import { Button } from '../button';
import { ErrorMessage } from '../error-message';
import { Field } from '../field';
import { LoadingState } from '../loading-state';

/**
 * Enrol an authenticator app: the server's otpauth:// URI drawn as a QR code (a data: URL image,
 * drawn here, never sent anywhere), the secret for typing by hand, then a code to confirm.
 */
export function TotpEnrolment({ stage, onEnrolled }: { stage: Stage; onEnrolled: (answer: EnrolmentAnswer) => void }) {
  const api = useApi();
  const enrolment = useApiData(() => api.mfa.startTotpEnrolment(stage), [stage]);
  const [qrDataUrl, setQrDataUrl] = useState<string | null>(null);
  const [code, setCode] = useState('');
  const uri = enrolment.data?.otpauthUri ?? null;

  useEffect(() => {
    if (!uri) return;
    let isCurrent = true;
    QRCode.toDataURL(uri, { errorCorrectionLevel: 'M', margin: 1, width: 208 })
      .then((url) => isCurrent && setQrDataUrl(url))
      .catch(() => isCurrent && setQrDataUrl(null));
    return () => {
      isCurrent = false;
    };
  }, [uri]);

  const confirm = useAction(async () => onEnrolled(await api.mfa.confirmTotpEnrolment(code.replace(/\s+/g, ''), stage)));

  if (enrolment.isLoading) return <LoadingState label="Preparing your authenticator app setup…" />;
  if (!uri) return <ErrorMessage error={enrolment.error} title="The authenticator app setup could not start." />;
  const secret = readTotpSecret(uri);
  return (
    <div className="totp-enrolment" data-testid="totp-enrolment">
      <ol className="steps-list">
        <li>Open an authenticator app (for example 1Password, Google Authenticator, Microsoft Authenticator or Aegis) and add an account.</li>
        <li>Scan this QR code, or type the key below.</li>
        <li>Enter the six-digit code the app shows.</li>
      </ol>
      <div className="totp-enrolment__qr">
        {qrDataUrl ? <img src={qrDataUrl} width={208} height={208} alt="QR code to add Rampart to your authenticator app" data-testid="totp-qr" /> : <div className="totp-enrolment__qr-placeholder" />}
      </div>
      {secret ? (
        <p className="totp-enrolment__secret">
          <span className="muted">Key for typing by hand:</span>
          <code data-testid="totp-secret">{secret}</code>
        </p>
      ) : null}
      <form
        className="form"
        onSubmit={(event) => {
          event.preventDefault();
          void confirm.run();
        }}
      >
        <Field label="Six-digit code">
          {(props) => (
            <input
              {...props}
              className="input input--code"
              inputMode="numeric"
              autoComplete="one-time-code"
              required
              value={code}
              onChange={(event) => setCode(event.target.value)}
              data-testid="totp-enrol-code"
            />
          )}
        </Field>
        <ErrorMessage error={confirm.error} />
        <div className="form__actions">
          <Button type="submit" variant="primary" isBusy={confirm.isBusy} data-testid="totp-enrol-submit">
            Confirm the app
          </Button>
        </div>
      </form>
    </div>
  );
}
