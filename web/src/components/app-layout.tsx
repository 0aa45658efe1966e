import { NavLink, Outlet } from 'react-router';
import { navigationItems } from '../session/navigation';
import { useSession } from '../session/session-context';
import { Button } from './button';
import { Logo } from './logo';

/** The signed-in frame: navigation on the left (only the pages this user may open), the page on the right. */
export function AppLayout() {
  const session = useSession();
  const user = session.active?.user;
  const visibleItems = navigationItems.filter((item) => item.permission === null || session.hasPermission(item.permission));
  return (
    <div className="app-shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <nav className="sidebar" aria-label="Main">
        <div className="sidebar__brand">
          <Logo />
          <span>Rampart</span>
        </div>
        <ul className="sidebar__list">
          {visibleItems.map((item) => (
            <li key={item.path}>
              <NavLink to={item.path} className={({ isActive }) => `sidebar__link${isActive ? ' sidebar__link--active' : ''}`} data-testid={item.testId}>
                {item.label}
              </NavLink>
            </li>
          ))}
        </ul>
        <div className="sidebar__footer">
          {user ? (
            <p className="sidebar__user" data-testid="current-user">
              <span className="sidebar__user-name">{user.displayName}</span>
              <span className="sidebar__user-email" title={user.email}>
                {user.email}
              </span>
            </p>
          ) : null}
          <Button variant="ghost" size="small" onClick={() => void session.signOut()} data-testid="sign-out">
            Sign out
          </Button>
        </div>
      </nav>
      <main className="main" id="main" tabIndex={-1}>
        <Outlet />
      </main>
    </div>
  );
}
