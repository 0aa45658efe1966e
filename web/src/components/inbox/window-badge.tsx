import type { ConversationSummary } from '../../api/conversations-api';
import { Badge } from '../badge';
import { describeWindow } from './window-state';

export function WindowBadge({ serviceWindow, now }: { serviceWindow: ConversationSummary['window']; now: number }) {
  const state = describeWindow(serviceWindow, now);
  return (
    <Badge tone={state.isOpen ? 'success' : 'neutral'} testId="window-badge" title="The 24-hour customer-service window: free-form replies are possible while it is open.">
      {state.label}
    </Badge>
  );
}
