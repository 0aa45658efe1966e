import type { ConversationSummary } from '../../api/conversations-api';
import { formatDuration } from '../../lib/format';

export interface WindowState {
  isOpen: boolean;
  /** Short, for a list row: "Open · 3 h 12 min left", "Window closed". */
  label: string;
}

/** The 24-hour customer-service window as a person reads it, at `now`. */
export function describeWindow(serviceWindow: ConversationSummary['window'], now: number): WindowState {
  const closesAt = serviceWindow.closesAt;
  if (!serviceWindow.isOpen || closesAt === null || closesAt <= now) return { isOpen: false, label: 'Window closed' };
  return { isOpen: true, label: `Open · ${formatDuration(closesAt - now)} left` };
}
