import { Link } from 'react-router';
import { useDocumentTitle } from '../hooks/use-document-title';
import { findLandingPath } from '../session/navigation';
import { useSession } from '../session/session-context';

export function NotFoundPage() {
  useDocumentTitle('Page not found');
  const session = useSession();
  return (
    <div className="no-access" data-testid="not-found">
      <h1 className="page-header__title">There is no such page</h1>
      <p>The address may be mistyped, or the page has moved.</p>
      <p>
        <Link to={findLandingPath(session.hasPermission)}>Go to the dashboard</Link>
      </p>
    </div>
  );
}
