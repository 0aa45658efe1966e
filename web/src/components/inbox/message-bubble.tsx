import type { ThreadMessage } from '../../api/conversations-api';
import { formatDateTime, formatMessageTime } from '../../lib/format';
import { MessageStatus } from './message-status';

/** One message: customer text rendered as a text node only (never as HTML), media as a labelled placeholder. */
export function MessageBubble({ message, now }: { message: ThreadMessage; now: number }) {
  const isInbound = message.direction === 'inbound';
  const hasMedia = message.mediaId !== null;
  return (
    <li className={`message message--${message.direction}`} data-testid="thread-message" data-direction={message.direction} data-message-id={message.id}>
      <div className="message__bubble">
        {hasMedia ? (
          <div className="message__media" data-testid="message-media">
            <span className="message__media-icon" aria-hidden="true">
              ▣
            </span>
            <span>
              {message.summary}
              <span className="message__media-note"> · attachment not shown in the dashboard</span>
            </span>
          </div>
        ) : null}
        {message.text !== null ? <p className="message__text">{message.text}</p> : null}
        {message.text === null && !hasMedia ? <p className="message__text message__text--summary">{message.summary}</p> : null}
        {message.failure ? (
          <p className="message__failure" data-testid="message-failure">
            Not delivered: {message.failure.reason}
            {message.failure.code !== null ? ` (WhatsApp error ${message.failure.code})` : ''}
          </p>
        ) : null}
        <p className="message__meta">
          {!isInbound && message.sentBy ? <span className="message__sender">{message.sentBy.label} · </span> : null}
          <time dateTime={new Date(message.sentAt).toISOString()} title={formatDateTime(message.sentAt)}>
            {formatMessageTime(message.sentAt, now)}
          </time>
          {!isInbound && message.status ? <MessageStatus status={message.status} /> : null}
        </p>
      </div>
    </li>
  );
}
