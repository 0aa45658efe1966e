import type { ConversationSummary } from '../../api/conversations-api';
import { formatRelative, pluralise } from '../../lib/format';
import { Badge } from '../badge';
import { WindowBadge } from './window-badge';

/** One conversation in the list: pseudonym only (listing never decrypts), activity, window, assignee. */
export function ConversationRow({ conversation, isSelected, now, onOpen }: { conversation: ConversationSummary; isSelected: boolean; now: number; onOpen: () => void }) {
  const { pseudonym, lastMessageAt, lastDirection, messageCount, assignedTo, optedOut } = conversation;
  return (
    <li>
      <button
        type="button"
        className={`conversation-row${isSelected ? ' conversation-row--selected' : ''}`}
        aria-current={isSelected || undefined}
        onClick={onOpen}
        data-testid="conversation-row"
        data-conversation-id={conversation.id}
      >
        <span className="conversation-row__top">
          <span className="conversation-row__pseudonym">{pseudonym}</span>
          <span className="conversation-row__time">{lastMessageAt ? formatRelative(lastMessageAt, now) : 'no messages'}</span>
        </span>
        <span className="conversation-row__middle">
          {lastDirection === 'inbound' ? 'Customer wrote last' : lastDirection === 'outbound' ? 'You answered last' : 'No messages yet'} · {pluralise(messageCount, 'message')}
        </span>
        <span className="conversation-row__badges">
          <WindowBadge serviceWindow={conversation.window} now={now} />
          {optedOut ? (
            <Badge tone="danger" testId="opted-out-badge">
              Opted out
            </Badge>
          ) : null}
          <span className="conversation-row__assignee">{assignedTo ? `Assigned to ${assignedTo.displayName}` : 'Unassigned'}</span>
        </span>
      </button>
    </li>
  );
}
