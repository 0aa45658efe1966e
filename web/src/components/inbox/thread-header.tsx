import type { ConversationSummary, Thread } from '../../api/conversations-api';
import { useSession } from '../../session/session-context';
import { Button } from '../button';
import { AssignmentSelect } from './assignment-select';
import { ExportButtons } from './export-buttons';

/** Who the customer is (decrypted because the thread was opened), and what may be done with the conversation. */
export function ThreadHeader({ conversation, contact, isContactOpen, onToggleContact, onAssigned }: {
  conversation: ConversationSummary;
  contact: Thread['contact'];
  isContactOpen: boolean;
  onToggleContact: () => void;
  onAssigned: (updated: ConversationSummary) => void;
}) {
  const session = useSession();
  const canAssign = session.active?.conversationAccess === 'all';
  return (
    <header className="thread__header">
      <div className="thread__identity">
        <h2 className="thread__name" data-testid="thread-contact-name">
          {contact.name ?? 'No name given'}
        </h2>
        <p className="thread__phone">
          <span data-testid="thread-contact-phone">{contact.phone}</span>
          <span className="muted nowrap"> · {conversation.pseudonym}</span>
        </p>
      </div>
      <div className="thread__actions">
        {canAssign ? <AssignmentSelect conversation={conversation} onAssigned={onAssigned} /> : null}
        {session.hasPermission('contacts.export') ? <ExportButtons conversation={conversation} /> : null}
        <Button size="small" variant={isContactOpen ? 'secondary' : 'ghost'} aria-pressed={isContactOpen} onClick={onToggleContact} data-testid="contact-panel-toggle">
          Contact details
        </Button>
      </div>
    </header>
  );
}
