import type { ReactNode } from 'react';
import { Link, Navigate, useLocation } from 'react-router';
import type { Permission } from '../api/permissions';
import { findLandingPath } from '../session/navigation';
import { useSession } from '../session/session-context';
import { Button } from './button';
import { ErrorMessage } from './error-message';
import { LoadingState } from './loading-state';

/** Pages behind sign-in: while the session is unknown, a loader; without an active session, the sign-in page. */
export function RequireSession({ children }: { children: ReactNode }) {
  const { state, reload } = useSession();
  const location = useLocation();
  if (state.status === 'loading') return <FullPageLoading />;
  if (state.status === 'unavailable') {
    return (
      <div className="centered-page">
        <div className="auth-card">
          <h1 className="auth-card__title">Rampart is not answering</h1>
          <ErrorMessage error={state.error} />
          <Button variant="primary" onClick={reload}>
            Try again
          </Button>
        </div>
      </div>
    );
  }
  if (state.status !== 'active') {
    // After a deliberate sign-out the next person starts from their own landing page, not this one.
    const isDeliberate = state.status === 'signed-out' && state.reason === 'signed-out';
    return <Navigate to="/sign-in" replace state={isDeliberate ? null : { from: `${location.pathname}${location.search}` }} />;
  }
  return <>{children}</>;
}

/** A page for one permission: others see why they cannot (the server refuses its data anyway). */
export function RequirePermission({ permission, children }: { permission: Permission; children: ReactNode }) {
  const session = useSession();
  if (session.hasPermission(permission)) return <>{children}</>;
  return (
    <div className="no-access" data-testid="no-access">
      <h1 className="page-header__title">You don’t have access to this page</h1>
      <p>
        Your role does not include the <code>{permission}</code> permission this page needs. If your work requires it, ask an administrator to change your roles.
      </p>
      <p>
        <Link to={findLandingPath(session.hasPermission)}>Go to a page you can use</Link>
      </p>
    </div>
  );
}

export function FullPageLoading() {
  return (
    <div className="centered-page">
      <LoadingState label="Opening Rampart…" />
    </div>
  );
}
