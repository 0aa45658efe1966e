import type { DeliveryStatus } from '../../api/conversations-api';

const labels: Record<DeliveryStatus, string> = {
  queued: 'Queued: waiting to be sent',
  sent: 'Sent to WhatsApp',
  delivered: 'Delivered to the customer’s phone',
  read: 'Read by the customer',
  failed: 'Not delivered',
};

/** WhatsApp's ticks (a clock while queued), with their meaning for screen readers and on hover. */
export function MessageStatus({ status }: { status: DeliveryStatus }) {
  const label = labels[status];
  return (
    <span className={`message-status message-status--${status}`} title={label} data-testid="message-status" data-status={status}>
      <StatusMark status={status} />
      <span className="visually-hidden">{label}</span>
    </span>
  );
}

function StatusMark({ status }: { status: DeliveryStatus }) {
  if (status === 'queued') {
    return (
      <svg className="message-status__icon" viewBox="0 0 16 16" width="12" height="12" aria-hidden="true" focusable="false">
        <circle cx="8" cy="8" r="6.5" fill="none" stroke="currentColor" strokeWidth="1.5" />
        <path d="M8 4.5V8l2.5 1.5" fill="none" stroke="currentColor" strokeWidth="1.5" strokeLinecap="round" />
      </svg>
    );
  }
  const mark = status === 'sent' ? '✓' : status === 'failed' ? '!' : '✓✓';
  return <span aria-hidden="true">{mark}</span>;
}
