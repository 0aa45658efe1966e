import { useState } from 'react';
import type { ApiKeySummary } from '../../api/api-keys-api';
import { formatDateTime, formatRelative } from '../../lib/format';
import { useApi } from '../../session/api-context';
import { Badge } from '../badge';
import { Button } from '../button';
import { ConfirmDialog } from '../confirm-dialog';

export function ApiKeysTable({ keys, onChanged }: { keys: ApiKeySummary[]; onChanged: () => void }) {
  const api = useApi();
  const [revoking, setRevoking] = useState<ApiKeySummary | null>(null);
  return (
    <>
      <div className="table-wrap">
        <table className="table" data-testid="api-keys-table">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Key starts with</th>
              <th scope="col">Scopes</th>
              <th scope="col">Created</th>
              <th scope="col">Last used</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {keys.map((key) => (
              <tr key={key.id} data-testid="api-key-row" className={key.revokedAt ? 'table__row--muted' : undefined}>
                <td>
                  <span className="table__primary">{key.name}</span> {key.revokedAt ? <Badge tone="neutral">Revoked {formatDateTime(key.revokedAt)}</Badge> : <Badge tone="success">Active</Badge>}
                </td>
                <td>
                  <code>{key.displayPrefix}…</code>
                </td>
                <td>
                  <span className="tag-list">
                    {key.scopes.map((scope) => (
                      <code key={scope} className="tag">
                        {scope}
                      </code>
                    ))}
                  </span>
                </td>
                <td className="nowrap">{formatDateTime(key.createdAt)}</td>
                <td className="nowrap">{key.lastUsedAt ? formatRelative(key.lastUsedAt) : <span className="muted">Never</span>}</td>
                <td>
                  {key.revokedAt ? null : (
                    <Button size="small" variant="danger" onClick={() => setRevoking(key)} data-testid="api-key-revoke">
                      Revoke
                    </Button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {revoking ? (
        <ConfirmDialog
          title={`Revoke “${revoking.name}”?`}
          confirmLabel="Revoke the key"
          isDanger
          onClose={() => setRevoking(null)}
          onConfirm={async () => {
            await api.apiKeys.revokeApiKey(revoking.id);
            onChanged();
          }}
        >
          <p>Requests with this key are refused from now on. This cannot be undone; create a new key if a service still needs access.</p>
        </ConfirmDialog>
      ) : null}
    </>
  );
}
