import { useState } from 'react';
import type { AuditOutcome } from '../../api/audit-api';
import { Button } from '../button';
import { Field } from '../field';

export interface AuditFilterValues {
  action: string;
  outcome: AuditOutcome | '';
}

/** Filter entries by action prefix (e.g. `auth.`, `conversation.`) and outcome. */
export function AuditFilters({ initial, onApply }: { initial: AuditFilterValues; onApply: (values: AuditFilterValues) => void }) {
  const [values, setValues] = useState(initial);
  return (
    <form
      className="filters"
      onSubmit={(event) => {
        event.preventDefault();
        onApply({ action: values.action.trim(), outcome: values.outcome });
      }}
    >
      <Field label="Action starts with">
        {(props) => <input {...props} className="input" placeholder="e.g. auth. or conversation.open" value={values.action} onChange={(event) => setValues({ ...values, action: event.target.value })} data-testid="audit-filter-action" />}
      </Field>
      <Field label="Outcome">
        {(props) => (
          <select {...props} className="input input--select" value={values.outcome} onChange={(event) => setValues({ ...values, outcome: event.target.value as AuditOutcome | '' })} data-testid="audit-filter-outcome">
            <option value="">Any</option>
            <option value="success">Success</option>
            <option value="denied">Denied</option>
            <option value="failed">Failed</option>
          </select>
        )}
      </Field>
      <div className="filters__actions">
        <Button type="submit" data-testid="audit-filter-apply">
          Apply
        </Button>
        <Button
          variant="ghost"
          onClick={() => {
            setValues({ action: '', outcome: '' });
            onApply({ action: '', outcome: '' });
          }}
        >
          Clear
        </Button>
      </div>
    </form>
  );
}
