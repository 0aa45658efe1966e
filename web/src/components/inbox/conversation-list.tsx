import { useState } from 'react';
import type { ConversationFilter, ConversationSummary } from '../../api/conversations-api';
import { useAction } from '../../hooks/use-action';
import { useApiData } from '../../hooks/use-api-data';
import { useNow } from '../../hooks/use-now';
import { useApi } from '../../session/api-context';
import { useSession } from '../../session/session-context';
import { Button } from '../button';
import { ErrorMessage } from '../error-message';
import { LoadingState } from '../loading-state';
import { ConversationListEmpty } from './conversation-list-empty';
import { ConversationRow } from './conversation-row';
import { ConversationSearch } from './conversation-search';

export const LIST_POLL_MS = 5_000;
const filters: { value: ConversationFilter; label: string }[] = [
  { value: 'all', label: 'All' },
  { value: 'mine', label: 'Mine' },
  { value: 'unassigned', label: 'Unassigned' },
];

/** The conversation list, newest activity first, refreshed every few seconds; filters for those who see every conversation. */
export function ConversationList({ selectedId, onOpen }: { selectedId: string | null; onOpen: (conversationId: string) => void }) {
  const api = useApi();
  const session = useSession();
  const now = useNow(15_000);
  const canSeeAll = session.active?.conversationAccess === 'all';
  const [filter, setFilter] = useState<ConversationFilter>(canSeeAll ? 'all' : 'mine');
  const [older, setOlder] = useState<{ filter: ConversationFilter; conversations: ConversationSummary[]; nextBefore: number | null } | null>(null);
  const latest = useApiData((signal) => api.conversations.listConversations({ filter }, signal), [filter], { pollMs: LIST_POLL_MS });
  const olderForFilter = older?.filter === filter ? older : null;

  const loadOlder = useAction(async () => {
    const before = olderForFilter ? olderForFilter.nextBefore : latest.data?.nextBefore;
    if (!before) return;
    const page = await api.conversations.listConversations({ filter, before });
    setOlder({ filter, conversations: [...(olderForFilter?.conversations ?? []), ...page.conversations], nextBefore: page.nextBefore });
  });

  const firstPage = latest.data?.conversations ?? [];
  const seen = new Set(firstPage.map((conversation) => conversation.id));
  const conversations = [...firstPage, ...(olderForFilter?.conversations ?? []).filter((conversation) => !seen.has(conversation.id))];
  const hasMore = olderForFilter ? olderForFilter.nextBefore !== null : (latest.data?.nextBefore ?? null) !== null;

  return (
    <section className="inbox__list" aria-label="Conversations" data-testid="conversation-list">
      <div className="inbox__list-header">
        <h1 className="inbox__title">Inbox</h1>
        {canSeeAll ? (
          <div className="segmented segmented--small" role="group" aria-label="Show">
            {filters.map((option) => (
              <button
                key={option.value}
                type="button"
                className="segmented__option"
                aria-pressed={filter === option.value}
                onClick={() => setFilter(option.value)}
                data-testid={`inbox-filter-${option.value}`}
              >
                {option.label}
              </button>
            ))}
          </div>
        ) : (
          <p className="muted small">Conversations assigned to you.</p>
        )}
        <ConversationSearch onFound={onOpen} />
      </div>
      {latest.isLoading ? <LoadingState label="Loading conversations…" /> : null}
      {latest.error ? <ErrorMessage error={latest.error} title="The conversation list could not be loaded." testId="inbox-error" /> : null}
      {!latest.isLoading && latest.data && conversations.length === 0 ? <ConversationListEmpty filter={filter} canSeeAll={canSeeAll} /> : null}
      {conversations.length > 0 ? (
        <ul className="conversation-list" data-testid="conversation-rows">
          {conversations.map((conversation) => (
            <ConversationRow key={conversation.id} conversation={conversation} isSelected={conversation.id === selectedId} now={now} onOpen={() => onOpen(conversation.id)} />
          ))}
        </ul>
      ) : null}
      {hasMore && conversations.length > 0 ? (
        <div className="inbox__more">
          <Button size="small" onClick={() => void loadOlder.run()} isBusy={loadOlder.isBusy} data-testid="inbox-load-older">
            Show older conversations
          </Button>
          <ErrorMessage error={loadOlder.error} />
        </div>
      ) : null}
    </section>
  );
}
