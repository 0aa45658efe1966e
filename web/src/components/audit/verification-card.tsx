import type { AuditStatus, AuditVerification } from '../../api/audit-api';
import { useAction } from '../../hooks/use-action';
import { useApiData } from '../../hooks/use-api-data';
import { useNow } from '../../hooks/use-now';
import { formatDateTime, formatRelative, pluralise } from '../../lib/format';
import { useApi } from '../../session/api-context';
import { Badge } from '../badge';
import { Button } from '../button';
import { Card } from '../card';
import { CopyButton } from '../copy-button';
import { ErrorMessage } from '../error-message';
import { LoadingState } from '../loading-state';

const STATUS_POLL_MS = 5_000;

const verdicts: Record<AuditVerification['state'], { label: string; tone: 'success' | 'danger' | 'info' | 'neutral' }> = {
  intact: { label: 'Intact', tone: 'success' },
  broken: { label: 'Broken', tone: 'danger' },
  running: { label: 'Verifying…', tone: 'info' },
  'never-run': { label: 'Never verified', tone: 'neutral' },
};

/** Is the log's hash chain intact? Polled live; "Verify now" starts a full check in the background. */
export function VerificationCard() {
  const api = useApi();
  const now = useNow(5_000);
  const status = useApiData((signal) => api.audit.getStatus(signal), [], { pollMs: STATUS_POLL_MS });
  const verify = useAction(async () => {
    const verification = await api.audit.startVerification();
    status.setData((current) => (current ? { ...current, verification } : current));
    status.reload();
  });
  const data = status.data;
  const state = data?.verification.state;
  return (
    <Card
      title="Integrity"
      description="Each entry is chained into a signed Merkle tree: an edited, deleted or reordered entry breaks verification."
      actions={
        <Button variant="primary" size="small" onClick={() => void verify.run()} isBusy={verify.isBusy} disabled={state === 'running'} data-testid="audit-verify-now">
          Verify now
        </Button>
      }
      testId="audit-verification"
    >
      {status.isLoading ? <LoadingState label="Loading the log’s status…" /> : null}
      <ErrorMessage error={verify.error ?? status.error} />
      {data ? <VerificationDetails status={data} now={now} /> : null}
    </Card>
  );
}

function VerificationDetails({ status, now }: { status: AuditStatus; now: number }) {
  const { verification, latestCheckpoint, treeSize } = status;
  const verdict = verdicts[verification.state];
  return (
    <div className="verification" data-testid="audit-verification-status" data-state={verification.state}>
      <div className="verification__verdict">
        <Badge tone={verdict.tone} testId="audit-verification-state">
          {verdict.label}
        </Badge>
        <p>{describeVerification(verification)}</p>
      </div>
      <dl className="stat-grid">
        <div>
          <dt>Entries in the log</dt>
          <dd data-testid="audit-tree-size">{treeSize.toLocaleString()}</dd>
        </div>
        <div>
          <dt>Last verified</dt>
          <dd>{verification.checkedAt ? `${formatRelative(verification.checkedAt, now)}${verification.checkedSize !== null ? ` (${pluralise(verification.checkedSize, 'entry', 'entries')})` : ''}` : 'Never'}</dd>
        </div>
        <div>
          <dt>Latest signed checkpoint</dt>
          <dd data-testid="audit-checkpoint-age">{latestCheckpoint ? `${formatRelative(latestCheckpoint.signedAt, now)} (${pluralise(latestCheckpoint.treeSize, 'entry', 'entries')})` : 'None yet'}</dd>
        </div>
      </dl>
      {latestCheckpoint ? (
        <details className="checkpoint-note">
          <summary>Latest checkpoint note (signed {formatDateTime(latestCheckpoint.signedAt)}, key {latestCheckpoint.keyName})</summary>
          <p className="muted small">
            Keep copies outside this server: <code>rampart audit verify</code> checks the log against them, so even an operator cannot rewrite history unnoticed.
          </p>
          <pre className="checkpoint-note__text" data-testid="audit-checkpoint-note">
            {latestCheckpoint.note}
          </pre>
          <CopyButton text={latestCheckpoint.note} label="Copy the note" testId="audit-checkpoint-copy" />
        </details>
      ) : null}
    </div>
  );
}

function describeVerification(verification: AuditVerification): string {
  switch (verification.state) {
    case 'intact':
      return `Every entry checked matches its hashes and the signed checkpoints.${verification.message ? ` ${verification.message}` : ''}`;
    case 'broken':
      return `Verification failed${verification.firstBadSeq !== null ? ` at entry #${verification.firstBadSeq}` : ''}: entries from there on were changed, removed or reordered.${verification.message ? ` ${verification.message}` : ''} Tell your security contact.`;
    case 'running':
      return 'A full verification is running; this updates by itself.';
    case 'never-run':
      return 'The log has not been verified since this server started. Run a verification now.';
  }
}
