import { useNavigate, useParams } from 'react-router';
import { EmptyState } from '../components/empty-state';
import { ConversationList } from '../components/inbox/conversation-list';
import { ThreadView } from '../components/inbox/thread-view';
import { useDocumentTitle } from '../hooks/use-document-title';

/** Conversations on the left, the opened one in the middle, its contact on demand on the right. */
export function InboxPage() {
  useDocumentTitle('Inbox');
  const { conversationId = null } = useParams();
  const navigate = useNavigate();
  return (
    <div className="inbox" data-testid="inbox-page">
      <ConversationList selectedId={conversationId} onOpen={(id) => navigate(`/inbox/${encodeURIComponent(id)}`)} />
      {conversationId ? (
        <ThreadView key={conversationId} conversationId={conversationId} />
      ) : (
        <section className="inbox__thread inbox__thread--empty">
          <EmptyState title="Choose a conversation" testId="thread-placeholder">
            <p>Pick one from the list, or find a customer by their number. Opening a conversation shows the customer’s name, number and messages, and is recorded in the audit log.</p>
          </EmptyState>
        </section>
      )}
    </div>
  );
}
