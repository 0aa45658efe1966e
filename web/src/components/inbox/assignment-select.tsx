import { useId } from 'react';
import type { ConversationSummary } from '../../api/conversations-api';
import { useAction } from '../../hooks/use-action';
import { useApiData } from '../../hooks/use-api-data';
import { useApi } from '../../session/api-context';
import { ErrorMessage } from '../error-message';

/** Supervisors and admins assign a conversation to a colleague (or to nobody). */
export function AssignmentSelect({ conversation, onAssigned }: { conversation: ConversationSummary; onAssigned: (updated: ConversationSummary) => void }) {
  const api = useApi();
  const id = useId();
  const assignees = useApiData((signal) => api.conversations.listAssignees(signal), []);
  const assign = useAction(async (userId: string | null) => onAssigned(await api.conversations.assign(conversation.id, userId)));
  const current = conversation.assignedTo;
  const users = assignees.data?.users ?? [];
  const options = current && !users.some((user) => user.id === current.id) ? [current, ...users] : users;
  return (
    <div className="assignment">
      <label htmlFor={id} className="assignment__label">
        Assigned to
      </label>
      <select
        id={id}
        className="input input--select"
        value={current?.id ?? ''}
        disabled={assign.isBusy || assignees.isLoading}
        onChange={(event) => void assign.run(event.target.value === '' ? null : event.target.value)}
        data-testid="assignment-select"
      >
        <option value="">Nobody</option>
        {options.map((user) => (
          <option key={user.id} value={user.id}>
            {user.displayName}
          </option>
        ))}
      </select>
      <ErrorMessage error={assign.error ?? assignees.error} />
    </div>
  );
}
