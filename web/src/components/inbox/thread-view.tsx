import { useEffect, useLayoutEffect, useRef, useState } from 'react';
import { isApiError } from '../../api/api-error';
import type { ThreadMessage } from '../../api/conversations-api';
import { useAction } from '../../hooks/use-action';
import { useApiData } from '../../hooks/use-api-data';
import { useNow } from '../../hooks/use-now';
import { useApi } from '../../session/api-context';
import { Button } from '../button';
import { EmptyState } from '../empty-state';
import { ErrorMessage } from '../error-message';
import { LoadingState } from '../loading-state';
import { ContactPanel } from './contact-panel';
import { MessageBubble } from './message-bubble';
import { ReplyBox } from './reply-box';
import { ThreadHeader } from './thread-header';
import { WindowBanner } from './window-banner';

/** The conversation's summary is polled (it decrypts nothing); the thread is fetched again only when it changed. */
const SUMMARY_POLL_MS = 4_000;
/** While a reply is on its way, its ticks are fetched this often, for this long after it was sent. */
const IN_TRANSIT_POLL_MS = 8_000;
const IN_TRANSIT_WINDOW_MS = 3 * 60_000;

/**
 * An opened conversation. Opening it is what decrypts (one audit entry); polling reads the
 * undecrypted summary and reloads the thread only when a message arrived or a reply is in transit,
 * so an open tab does not write an audit entry every few seconds.
 */
export function ThreadView({ conversationId }: { conversationId: string }) {
  const api = useApi();
  const now = useNow(15_000);
  const thread = useApiData((signal) => api.conversations.openThread(conversationId, {}, signal), [conversationId]);
  const summary = useApiData((signal) => api.conversations.getConversation(conversationId, signal), [conversationId], { pollMs: SUMMARY_POLL_MS });
  const [earlier, setEarlier] = useState<{ messages: ThreadMessage[]; nextBefore: number | null } | null>(null);
  const [isContactOpen, setContactOpen] = useState(false);
  const requestedVersion = useRef<string | null>(null);
  const listRef = useRef<HTMLOListElement>(null);

  const shown = thread.data?.conversation ?? null;
  const latest = summary.data ?? shown;
  const { reload } = thread;

  // A new message (either way) changes the summary: fetch the thread once for that version.
  useEffect(() => {
    if (!summary.data || !shown) return;
    const version = `${summary.data.lastMessageAt}:${summary.data.messageCount}`;
    if (version === `${shown.lastMessageAt}:${shown.messageCount}` || requestedVersion.current === version) return;
    requestedVersion.current = version;
    reload({ isBackground: true });
  }, [summary.data, shown, reload]);

  const messages = [...(earlier?.messages ?? []), ...(thread.data?.messages ?? [])];
  const hasReplyInTransit = messages.some((message) => (message.status === 'queued' || message.status === 'sent') && Date.now() - message.sentAt < IN_TRANSIT_WINDOW_MS);
  useEffect(() => {
    if (!hasReplyInTransit) return;
    const timer = window.setTimeout(() => reload({ isBackground: true }), IN_TRANSIT_POLL_MS);
    return () => window.clearTimeout(timer);
  }, [hasReplyInTransit, thread.data, reload]);

  const lastMessageId = messages.at(-1)?.id;
  useLayoutEffect(() => {
    const list = listRef.current;
    if (list) list.scrollTop = list.scrollHeight;
  }, [lastMessageId]);

  const loadEarlier = useAction(async () => {
    const before = earlier ? earlier.nextBefore : (thread.data?.nextBefore ?? null);
    if (before === null) return;
    const page = await api.conversations.openThread(conversationId, { before });
    setEarlier({ messages: [...page.messages, ...(earlier?.messages ?? [])], nextBefore: page.nextBefore });
  });

  // Unassigned from the caller, or erased, since it was opened: take the decrypted thread off the screen.
  if (isApiError(summary.error) && summary.error.status === 404) {
    return (
      <section className="inbox__thread" data-testid="thread-view">
        <EmptyState title="You can no longer open this conversation" testId="thread-gone">
          It was assigned to someone else or removed since you opened it.
        </EmptyState>
      </section>
    );
  }
  if (thread.isLoading) return <section className="inbox__thread"><LoadingState label="Opening the conversation…" /></section>;
  if (!thread.data || !latest) {
    return (
      <section className="inbox__thread" data-testid="thread-view">
        <ErrorMessage error={thread.error} title="The conversation could not be opened." testId="thread-error" />
      </section>
    );
  }
  const canLoadEarlier = earlier ? earlier.nextBefore !== null : thread.data.nextBefore !== null;
  return (
    <>
      <section className="inbox__thread" aria-label={`Conversation ${latest.pseudonym}`} data-testid="thread-view">
        <ThreadHeader
          conversation={latest}
          contact={thread.data.contact}
          isContactOpen={isContactOpen}
          onToggleContact={() => setContactOpen((isOpen) => !isOpen)}
          onAssigned={(updated) => summary.setData(() => updated)}
        />
        <WindowBanner conversation={latest} now={now} />
        {thread.error ? <ErrorMessage error={thread.error} title="The latest messages could not be loaded." /> : null}
        <ol className="thread__messages" ref={listRef} data-testid="thread-messages" aria-live="polite">
          {canLoadEarlier ? (
            <li className="thread__earlier">
              <Button size="small" variant="ghost" onClick={() => void loadEarlier.run()} isBusy={loadEarlier.isBusy} data-testid="thread-load-earlier">
                Show earlier messages
              </Button>
              <ErrorMessage error={loadEarlier.error} />
            </li>
          ) : null}
          {messages.length === 0 ? (
            <li>
              <EmptyState title="No messages in this conversation yet" />
            </li>
          ) : null}
          {messages.map((message) => (
            <MessageBubble key={message.id} message={message} now={now} />
          ))}
        </ol>
        <ReplyBox conversation={latest} now={now} onSent={reload} />
      </section>
      {isContactOpen ? <ContactPanel contactId={latest.id} onClose={() => setContactOpen(false)} /> : null}
    </>
  );
}
