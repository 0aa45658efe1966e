import { Navigate, Route, Routes } from 'react-router';
import { AppLayout } from './components/app-layout';
import { RequirePermission, RequireSession } from './components/route-guards';
import { AccountPage } from './pages/account-page';
import { ApiKeysPage } from './pages/api-keys-page';
import { AuditPage } from './pages/audit-page';
import { InboxPage } from './pages/inbox-page';
import { NotFoundPage } from './pages/not-found-page';
import { SettingsPage } from './pages/settings-page';
import { SetupPage } from './pages/setup-page';
import { SignInPage } from './pages/sign-in-page';
import { UsersPage } from './pages/users-page';
import { findLandingPath } from './session/navigation';
import { useSession } from './session/session-context';

function LandingRedirect() {
  const session = useSession();
  return <Navigate to={findLandingPath(session.hasPermission)} replace />;
}

/** Every client-side path; the gateway answers each of them with index.html. */
export function App() {
  return (
    <Routes>
      <Route path="/sign-in" element={<SignInPage />} />
      <Route path="/setup" element={<SetupPage />} />
      <Route
        element={
          <RequireSession>
            <AppLayout />
          </RequireSession>
        }
      >
        <Route index element={<LandingRedirect />} />
        <Route path="inbox" element={<RequirePermission permission="conversations.read"><InboxPage /></RequirePermission>} />
        <Route path="inbox/:conversationId" element={<RequirePermission permission="conversations.read"><InboxPage /></RequirePermission>} />
        <Route path="users" element={<RequirePermission permission="users.manage"><UsersPage /></RequirePermission>} />
        <Route path="api-keys" element={<RequirePermission permission="keys.manage"><ApiKeysPage /></RequirePermission>} />
        <Route path="audit" element={<RequirePermission permission="audit.read"><AuditPage /></RequirePermission>} />
        <Route path="settings" element={<RequirePermission permission="settings.manage"><SettingsPage /></RequirePermission>} />
        <Route path="account" element={<AccountPage />} />
        <Route path="*" element={<NotFoundPage />} />
      </Route>
    </Routes>
  );
}
