import type { OwnSession } from '../../api/auth-api';
import { useAction } from '../../hooks/use-action';
import { useApiData } from '../../hooks/use-api-data';
import { formatDateTime, formatRelative } from '../../lib/format';
import { useApi } from '../../session/api-context';
import { useSession } from '../../session/session-context';
import { Badge } from '../badge';
import { Button } from '../button';
import { Card } from '../card';
import { ErrorMessage } from '../error-message';
import { LoadingState } from '../loading-state';

/** Where you are signed in; end any other session, or sign out of this one. */
export function SessionsCard() {
  const api = useApi();
  const session = useSession();
  const sessions = useApiData((_signal) => api.auth.listOwnSessions(), []);
  const end = useAction(async (id: string) => {
    await api.auth.endOwnSession(id);
    sessions.reload();
  });
  return (
    <Card title="Where you are signed in" description="Sessions end after the idle timeout or at the latest 12 hours after sign-in (as configured)." testId="own-sessions">
      {sessions.isLoading ? <LoadingState label="Loading your sessions…" /> : null}
      <ErrorMessage error={sessions.error ?? end.error} />
      {sessions.data ? (
        <ul className="session-list">
          {sessions.data.map((item) => (
            <li key={item.id} className="session-list__item" data-testid="own-session-row">
              <span>
                <span className="table__primary">
                  {describeDevice(item)} {item.isCurrent ? <Badge tone="info">This browser</Badge> : null} {item.state === 'pending-mfa' ? <Badge tone="warning">Second factor pending</Badge> : null}
                </span>
                <span className="table__secondary">
                  Signed in {formatDateTime(item.createdAt)} · active {formatRelative(item.lastSeenAt)}
                  {item.sourceAddress ? ` · from ${item.sourceAddress}` : ''}
                </span>
              </span>
              {item.isCurrent ? (
                <Button size="small" onClick={() => void session.signOut()} data-testid="own-session-sign-out">
                  Sign out
                </Button>
              ) : (
                <Button size="small" variant="danger" onClick={() => void end.run(item.id)} disabled={end.isBusy} data-testid="own-session-end">
                  End
                </Button>
              )}
            </li>
          ))}
        </ul>
      ) : null}
    </Card>
  );
}

/** "Chrome on Linux" from a user agent, without pretending to be exact. */
function describeDevice(session: OwnSession): string {
  const agent = session.userAgent ?? '';
  const browser = /Edg\//.test(agent) ? 'Edge' : /Firefox\//.test(agent) ? 'Firefox' : /Chrom(e|ium)\//.test(agent) ? 'Chrome' : /Safari\//.test(agent) ? 'Safari' : agent ? 'A browser' : 'Unknown client';
  const system = /Windows/.test(agent) ? 'Windows' : /Mac OS X/.test(agent) ? 'macOS' : /Android/.test(agent) ? 'Android' : /iPhone|iPad/.test(agent) ? 'iOS' : /Linux/.test(agent) ? 'Linux' : null;
  return system ? `${browser} on ${system}` : browser;
}
