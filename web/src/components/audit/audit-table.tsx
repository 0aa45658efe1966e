import type { AuditEntry } from '../../api/audit-api';
import { formatDateTime } from '../../lib/format';
import { Badge } from '../badge';

const outcomeTones = { success: 'success', denied: 'warning', failed: 'danger' } as const;

/** Audit entries, newest first. Details are values the log recorded (never customer content). */
export function AuditTable({ entries }: { entries: AuditEntry[] }) {
  return (
    <div className="table-wrap">
      <table className="table table--dense" data-testid="audit-table">
        <thead>
          <tr>
            <th scope="col">#</th>
            <th scope="col">When</th>
            <th scope="col">Who</th>
            <th scope="col">Action</th>
            <th scope="col">On</th>
            <th scope="col">Outcome</th>
            <th scope="col">Details</th>
          </tr>
        </thead>
        <tbody>
          {entries.map((entry) => (
            <tr key={entry.seq} data-testid="audit-row" data-seq={entry.seq}>
              <td className="numeric">{entry.seq}</td>
              <td className="nowrap">{formatDateTime(entry.occurredAt)}</td>
              <td>
                <span className="table__primary">{entry.actor.label ?? describeActorType(entry.actor.type)}</span>
                {entry.actor.id ? <span className="table__secondary mono" title={entry.actor.id}>{entry.actor.id.slice(0, 8)}</span> : null}
                {entry.sourceAddress ? <span className="table__secondary">{entry.sourceAddress}</span> : null}
              </td>
              <td>
                <code>{entry.action}</code>
              </td>
              <td>
                {entry.subject ? <span className="table__primary">{entry.subject}</span> : null}
                {entry.resource ? (
                  <span className="table__secondary">
                    {entry.resource.type} <span className="mono">{entry.resource.id.slice(0, 8)}</span>
                  </span>
                ) : null}
                {!entry.subject && !entry.resource ? <span className="muted">—</span> : null}
              </td>
              <td>
                <Badge tone={outcomeTones[entry.outcome]} testId="audit-outcome">
                  {entry.outcome}
                </Badge>
              </td>
              <td>
                <AuditDetails details={entry.details} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

const actorTypes: Record<string, string> = { user: 'Staff user', 'api-key': 'API key', system: 'Rampart', anonymous: 'Anonymous' };

function describeActorType(type: string): string {
  return actorTypes[type] ?? type;
}

function AuditDetails({ details }: { details: AuditEntry['details'] }) {
  const pairs = Object.entries(details);
  if (pairs.length === 0) return <span className="muted">—</span>;
  return (
    <details className="audit-details">
      <summary>{pairs.length === 1 ? '1 detail' : `${pairs.length} details`}</summary>
      <dl className="details details--compact">
        {pairs.map(([key, value]) => (
          <div key={key}>
            <dt>{key}</dt>
            <dd>{value === null ? 'null' : String(value)}</dd>
          </div>
        ))}
      </dl>
    </details>
  );
}
