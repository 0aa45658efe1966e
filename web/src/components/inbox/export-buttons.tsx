import type { ConversationSummary } from '../../api/conversations-api';
import { useAction } from '../../hooks/use-action';
import { saveFile } from '../../lib/download';
import { useApi } from '../../session/api-context';
import { Button } from '../button';
import { ErrorMessage } from '../error-message';

/** Download the conversation (audited; asks for a second factor when the last one is not recent). */
export function ExportButtons({ conversation }: { conversation: ConversationSummary }) {
  const api = useApi();
  const exportAs = useAction(async (format: 'json' | 'csv') => {
    const file = await api.conversations.exportConversation(conversation.id, format);
    saveFile(file.blob, file.fileName ?? `conversation-${conversation.pseudonym}.${format}`);
  });
  return (
    <div className="export-buttons">
      <Button size="small" onClick={() => void exportAs.run('json')} disabled={exportAs.isBusy} data-testid="export-json">
        Export JSON
      </Button>
      <Button size="small" onClick={() => void exportAs.run('csv')} disabled={exportAs.isBusy} data-testid="export-csv">
        Export CSV
      </Button>
      <ErrorMessage error={exportAs.error} />
    </div>
  );
}
