import type { ConversationSummary } from '../../api/conversations-api';
import { formatDateTime, formatDuration } from '../../lib/format';

/** The 24-hour window and the opt-out, and what they mean for answering. */
export function WindowBanner({ conversation, now }: { conversation: ConversationSummary; now: number }) {
  const { window: serviceWindow, optedOut, lastInboundAt } = conversation;
  const isOpen = serviceWindow.isOpen && serviceWindow.closesAt !== null && serviceWindow.closesAt > now;
  return (
    <div className="thread__banners">
      {isOpen && serviceWindow.closesAt !== null ? (
        <p className="window-banner window-banner--open" data-testid="window-state" data-window="open">
          <strong>Window open for {formatDuration(serviceWindow.closesAt - now)}</strong> (until {formatDateTime(serviceWindow.closesAt)}). WhatsApp allows free-form replies for 24 hours after the customer’s last message.
        </p>
      ) : (
        <p className="window-banner window-banner--closed" data-testid="window-state" data-window="closed">
          <strong>Window closed.</strong>{' '}
          {lastInboundAt === null ? 'The customer has not written yet.' : `The customer last wrote ${formatDateTime(lastInboundAt)}, more than 24 hours ago.`} A free-form reply is possible again when they write;
          until then only an approved template can be sent (through the API).
        </p>
      )}
      {optedOut ? (
        <p className="window-banner window-banner--danger" data-testid="opted-out-state">
          <strong>This customer opted out of marketing</strong> (for example by sending STOP). Answer what they ask; send no offers or promotions.
        </p>
      ) : null}
    </div>
  );
}
