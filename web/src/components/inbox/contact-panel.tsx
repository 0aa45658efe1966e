import { useApiData } from '../../hooks/use-api-data';
import { formatDateTime } from '../../lib/format';
import { useApi } from '../../session/api-context';
import { Badge } from '../badge';
import { Button } from '../button';
import { ErrorMessage } from '../error-message';
import { LoadingState } from '../loading-state';

/** The contact view (audited when opened): name, number, consent per purpose, message counts. */
export function ContactPanel({ contactId, onClose }: { contactId: string; onClose: () => void }) {
  const api = useApi();
  const contact = useApiData((signal) => api.conversations.viewContact(contactId, signal), [contactId]);
  return (
    <aside className="contact-panel" aria-label="Contact" data-testid="contact-panel">
      <div className="contact-panel__header">
        <h2 className="contact-panel__title">Contact</h2>
        <Button size="small" variant="ghost" onClick={onClose} aria-label="Close the contact panel" data-testid="contact-panel-close">
          Close
        </Button>
      </div>
      {contact.isLoading ? <LoadingState label="Loading the contact…" /> : null}
      <ErrorMessage error={contact.error} />
      {contact.data ? (
        <>
          <dl className="details">
            <dt>Name</dt>
            <dd data-testid="contact-name">{contact.data.name ?? 'No name given'}</dd>
            <dt>Number</dt>
            <dd data-testid="contact-phone">{contact.data.phone}</dd>
            <dt>Reference</dt>
            <dd>{contact.data.pseudonym}</dd>
            <dt>First message</dt>
            <dd>{formatDateTime(contact.data.firstSeenAt)}</dd>
            <dt>Last message from them</dt>
            <dd>{contact.data.lastInboundAt ? formatDateTime(contact.data.lastInboundAt) : 'Never'}</dd>
            <dt>Messages</dt>
            <dd>
              {contact.data.messageCounts.inbound} received · {contact.data.messageCounts.outbound} sent
            </dd>
          </dl>
          <h3 className="contact-panel__subtitle">Consent</h3>
          {contact.data.consent.length === 0 ? (
            <p className="muted small">No consent recorded. Customers opt out by sending a keyword such as STOP.</p>
          ) : (
            <ul className="consent-list" data-testid="contact-consent">
              {contact.data.consent.map((entry) => (
                <li key={entry.purpose} className="consent-list__item">
                  <span className="consent-list__purpose">{entry.purpose}</span>
                  <Badge tone={entry.state === 'opted-in' ? 'success' : 'danger'}>{entry.state === 'opted-in' ? 'Opted in' : 'Opted out'}</Badge>
                  <span className="muted small">
                    {formatDateTime(entry.changedAt)} · {entry.source}
                  </span>
                </li>
              ))}
            </ul>
          )}
        </>
      ) : null}
    </aside>
  );
}
