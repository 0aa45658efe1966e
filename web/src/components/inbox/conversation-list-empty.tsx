import type { ConversationFilter } from '../../api/conversations-api';
import { CommandLine } from '../command-line';
import { EmptyState } from '../empty-state';

/** What an empty list means for this filter, and what to do. */
export function ConversationListEmpty({ filter, canSeeAll }: { filter: ConversationFilter; canSeeAll: boolean }) {
  if (!canSeeAll || filter === 'mine') {
    return (
      <EmptyState title="Nothing assigned to you" testId="conversation-list-empty">
        <p>Conversations appear here once a supervisor or admin assigns them to you.</p>
      </EmptyState>
    );
  }
  if (filter === 'unassigned') {
    return (
      <EmptyState title="Every conversation has someone" testId="conversation-list-empty">
        <p>No conversation is waiting for an assignee.</p>
      </EmptyState>
    );
  }
  return (
    <EmptyState title="No conversations yet" testId="conversation-list-empty">
      <p>When a customer writes to your WhatsApp number, the conversation appears here within a few seconds.</p>
      <p className="muted small">
        Trying the sandbox? Send a customer message with <CommandLine command='npx rampart sandbox say --from +447700900123 --name Ada "Hello"' />
      </p>
    </EmptyState>
  );
}
