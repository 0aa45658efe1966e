import { useId, useRef, useState } from 'react';
import type { ConversationSummary } from '../../api/conversations-api';
import { useAction } from '../../hooks/use-action';
import { useApi } from '../../session/api-context';
import { useSession } from '../../session/session-context';
import { Button } from '../button';
import { ErrorMessage } from '../error-message';

const MAX_LENGTH = 4096;

/** Why a reply cannot be sent now, or null. The server checks the same again (and the window to the second). */
function findReplyBlocker(conversation: ConversationSummary, canReply: boolean, now: number): string | null {
  if (!canReply) return 'Your role can read conversations but not answer them.';
  if (!conversation.window.isOpen || conversation.window.closesAt === null || conversation.window.closesAt <= now) {
    return 'The 24-hour window is closed: you can reply once the customer writes again.';
  }
  return null;
}

/** The reply field: disabled with the reason when a reply is not possible; Ctrl+Enter sends. */
export function ReplyBox({ conversation, now, onSent }: { conversation: ConversationSummary; now: number; onSent: () => void }) {
  const api = useApi();
  const session = useSession();
  const [text, setText] = useState('');
  // One key per reply being written: a second click after a lost answer cannot send it twice.
  const idempotencyKey = useRef<string | null>(null);
  const reasonId = useId();
  const blocker = findReplyBlocker(conversation, session.hasPermission('conversations.reply'), now);
  const send = useAction(async () => {
    idempotencyKey.current ??= crypto.randomUUID();
    await api.conversations.reply(conversation.id, text, idempotencyKey.current);
    idempotencyKey.current = null;
    setText('');
    onSent();
  });
  const canSend = blocker === null && text.trim().length > 0 && !send.isBusy;
  return (
    <form
      className="reply-box"
      onSubmit={(event) => {
        event.preventDefault();
        if (canSend) void send.run();
      }}
    >
      {blocker ? (
        <p className="reply-box__blocked" id={reasonId} data-testid="reply-disabled-reason">
          {blocker}
        </p>
      ) : null}
      <label className="visually-hidden" htmlFor={`${reasonId}-text`}>
        Reply
      </label>
      <div className="reply-box__row">
        <textarea
          id={`${reasonId}-text`}
          className="input reply-box__input"
          rows={2}
          maxLength={MAX_LENGTH}
          placeholder={blocker ? 'Replies are unavailable' : 'Write a reply… (Ctrl+Enter sends)'}
          disabled={blocker !== null}
          aria-describedby={blocker ? reasonId : undefined}
          value={text}
          onChange={(event) => {
            idempotencyKey.current = null;
            setText(event.target.value);
          }}
          onKeyDown={(event) => {
            if (event.key === 'Enter' && (event.ctrlKey || event.metaKey) && canSend) {
              event.preventDefault();
              void send.run();
            }
          }}
          data-testid="reply-input"
        />
        <Button type="submit" variant="primary" disabled={!canSend} isBusy={send.isBusy} data-testid="reply-submit">
          Send
        </Button>
      </div>
      {text.length > MAX_LENGTH - 200 ? <p className="muted small">{MAX_LENGTH - text.length} characters left</p> : null}
      <ErrorMessage error={send.error} testId="reply-error" />
    </form>
  );
}
