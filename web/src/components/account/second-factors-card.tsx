import { useState } from 'react';
import type { EnrolmentAnswer, MfaStatus } from '../../api/mfa-api';
import { useApiData } from '../../hooks/use-api-data';
import { formatDateTime, formatRelative } from '../../lib/format';
import { useApi } from '../../session/api-context';
import { useSession } from '../../session/session-context';
import { PasskeyEnrolment } from '../auth/passkey-enrolment';
import { RecoveryCodesPanel } from '../auth/recovery-codes-panel';
import { TotpEnrolment } from '../auth/totp-enrolment';
import { Badge } from '../badge';
import { Button } from '../button';
import { Card } from '../card';
import { ConfirmDialog } from '../confirm-dialog';
import { ErrorMessage } from '../error-message';
import { LoadingState } from '../loading-state';
import { Modal } from '../modal';

type Dialog = { kind: 'add-totp' } | { kind: 'remove-totp' } | { kind: 'add-passkey' } | { kind: 'remove-passkey'; id: string; name: string } | { kind: 'new-codes' } | { kind: 'show-codes'; codes: string[] } | null;

/** Authenticator app, passkeys and recovery codes. Changes ask for a recent second factor. */
export function SecondFactorsCard() {
  const api = useApi();
  const session = useSession();
  const status = useApiData((signal) => api.mfa.getStatus(signal), []);
  const [dialog, setDialog] = useState<Dialog>(null);
  const close = () => setDialog(null);
  const afterEnrolment = (answer: EnrolmentAnswer) => {
    session.acceptSession(answer.session);
    status.reload();
    setDialog(answer.recoveryCodes ? { kind: 'show-codes', codes: answer.recoveryCodes } : null);
  };
  return (
    <Card title="Second factors" description="Signing in needs your password and one of these. Changing them asks you to confirm with one first." testId="second-factors">
      {status.isLoading ? <LoadingState label="Loading your second factors…" /> : null}
      <ErrorMessage error={status.error} />
      {status.data ? <FactorList status={status.data} onOpen={setDialog} /> : null}
      {dialog?.kind === 'add-totp' ? (
        <Modal title="Set up an authenticator app" onClose={close} testId="add-totp-dialog">
          <TotpEnrolment stage="signed-in" onEnrolled={afterEnrolment} />
        </Modal>
      ) : null}
      {dialog?.kind === 'add-passkey' ? (
        <Modal title="Add a passkey" onClose={close} testId="add-passkey-dialog">
          <PasskeyEnrolment stage="signed-in" onEnrolled={afterEnrolment} />
        </Modal>
      ) : null}
      {dialog?.kind === 'remove-totp' ? (
        <ConfirmDialog title="Remove the authenticator app?" confirmLabel="Remove" isDanger onClose={close} onConfirm={async () => { await api.mfa.removeTotp(); status.reload(); }}>
          <p>Codes from the app stop working at once. You sign in with a passkey afterwards.</p>
        </ConfirmDialog>
      ) : null}
      {dialog?.kind === 'remove-passkey' ? (
        <ConfirmDialog title={`Remove “${dialog.name}”?`} confirmLabel="Remove" isDanger onClose={close} onConfirm={async () => { await api.mfa.removePasskey(dialog.id); status.reload(); }}>
          <p>This passkey stops working for Rampart at once. It may stay listed on your device; delete it there too.</p>
        </ConfirmDialog>
      ) : null}
      {dialog?.kind === 'new-codes' ? (
        <ConfirmDialog
          title="Create new recovery codes?"
          confirmLabel="Create new codes"
          onClose={close}
          keepsOpen
          onConfirm={async () => {
            const { recoveryCodes } = await api.mfa.regenerateRecoveryCodes();
            status.reload();
            setDialog({ kind: 'show-codes', codes: recoveryCodes });
          }}
        >
          <p>Your current recovery codes stop working; ten new ones are shown once.</p>
        </ConfirmDialog>
      ) : null}
      {dialog?.kind === 'show-codes' ? (
        <Modal title="Your new recovery codes" onClose={close} testId="recovery-codes-dialog">
          <RecoveryCodesPanel codes={dialog.codes} onDone={close} doneLabel="Done" />
        </Modal>
      ) : null}
    </Card>
  );
}

function FactorList({ status, onOpen }: { status: MfaStatus; onOpen: (dialog: Dialog) => void }) {
  return (
    <div className="factor-list">
      <section className="factor">
        <div className="factor__text">
          <h3 className="factor__title">Authenticator app</h3>
          <p className="muted small">Six-digit codes from an app on your phone.</p>
        </div>
        <div className="factor__actions">
          {status.hasTotp ? <Badge tone="success" testId="totp-state">Set up</Badge> : <Badge testId="totp-state">Not set up</Badge>}
          {status.hasTotp ? (
            <Button size="small" variant="danger" onClick={() => onOpen({ kind: 'remove-totp' })} data-testid="remove-totp">
              Remove
            </Button>
          ) : (
            <Button size="small" onClick={() => onOpen({ kind: 'add-totp' })} data-testid="add-totp">
              Set up
            </Button>
          )}
        </div>
      </section>
      <section className="factor">
        <div className="factor__text">
          <h3 className="factor__title">Passkeys</h3>
          <p className="muted small">Your fingerprint, face or device PIN, or a security key.</p>
          {status.passkeys.length > 0 ? (
            <ul className="passkey-list" data-testid="passkey-list">
              {status.passkeys.map((passkey) => (
                <li key={passkey.id} className="passkey-list__item" data-testid="passkey-row">
                  <span>
                    <span className="table__primary">{passkey.name}</span>
                    <span className="table__secondary">
                      Added {formatDateTime(passkey.createdAt)} · {passkey.lastUsedAt ? `last used ${formatRelative(passkey.lastUsedAt)}` : 'not used yet'}
                      {passkey.isBackedUp ? ' · synced' : ''}
                    </span>
                  </span>
                  <Button size="small" variant="danger" onClick={() => onOpen({ kind: 'remove-passkey', id: passkey.id, name: passkey.name })} data-testid="remove-passkey">
                    Remove
                  </Button>
                </li>
              ))}
            </ul>
          ) : null}
        </div>
        <div className="factor__actions">
          <Button size="small" onClick={() => onOpen({ kind: 'add-passkey' })} data-testid="add-passkey">
            Add a passkey
          </Button>
        </div>
      </section>
      <section className="factor">
        <div className="factor__text">
          <h3 className="factor__title">Recovery codes</h3>
          <p className="muted small" data-testid="recovery-codes-left">
            {status.recoveryCodesLeft} of 10 left. Each signs you in once if you lose your other factors.
          </p>
          {status.recoveryCodesLeft <= 3 ? (
            <p className="small">
              <Badge tone="warning">Running low</Badge> Create new codes and keep them somewhere safe.
            </p>
          ) : null}
        </div>
        <div className="factor__actions">
          <Button size="small" onClick={() => onOpen({ kind: 'new-codes' })} data-testid="new-recovery-codes">
            Create new codes
          </Button>
        </div>
      </section>
    </div>
  );
}
