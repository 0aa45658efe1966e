import { useState } from 'react';
import { Link, useNavigate } from 'react-router';
import type { SessionInfo } from '../api/auth-api';
import type { EnrolmentAnswer } from '../api/mfa-api';
import { AuthCard } from '../components/auth/auth-card';
import { EnrolSecondFactor } from '../components/auth/enrol-second-factor';
import { RecoveryCodesPanel } from '../components/auth/recovery-codes-panel';
import { SetupAccountForm } from '../components/auth/setup-account-form';
import { SetupProgress } from '../components/auth/setup-progress';
import { ErrorMessage } from '../components/error-message';
import { LoadingState } from '../components/loading-state';
import { Notice } from '../components/notice';
import { useApiData } from '../hooks/use-api-data';
import { useDocumentTitle } from '../hooks/use-document-title';
import { useApi } from '../session/api-context';
import { findLandingPath } from '../session/navigation';
import { useSession } from '../session/session-context';

/** The token of `/setup#token=…`: the fragment never reaches a server, a log or a Referer. */
function readSetupToken(): string | null {
  const token = new URLSearchParams(window.location.hash.slice(1)).get('token');
  return token && /^[A-Za-z0-9_-]{43}$/.test(token) ? token : null;
}

/**
 * A setup link: the first admin (bootstrap) or an invited user sets a password, enrols a second
 * factor and saves recovery codes, then lands in the dashboard.
 */
export function SetupPage() {
  useDocumentTitle('Set up your account');
  const [token] = useState(readSetupToken);
  if (!token) {
    return (
      <AuthCard title="Set up your account" testId="setup-page">
        <Notice tone="warning" title="This page needs a setup link">
          <p>Open the whole link you were given; it ends in <code>#token=…</code>. Links work once, for 24 hours. Ask an administrator for a new one, or, for the first admin, restart Rampart and use the link from its log.</p>
        </Notice>
        <p>
          <Link to="/sign-in">Go to sign-in</Link>
        </p>
      </AuthCard>
    );
  }
  return <SetupFlow token={token} />;
}

function SetupFlow({ token }: { token: string }) {
  const api = useApi();
  const session = useSession();
  const navigate = useNavigate();
  const purpose = useApiData(() => api.auth.inspectSetupLink(token), [token]);
  const [pending, setPending] = useState<SessionInfo | null>(null);
  const [enrolled, setEnrolled] = useState<EnrolmentAnswer | null>(null);

  const finish = (info: SessionInfo) => {
    session.acceptSession(info);
    navigate(findLandingPath((permission) => info.permissions.includes(permission)), { replace: true });
  };
  const onAccountCreated = (info: SessionInfo) => {
    // The link is used up: take it out of the address bar and history.
    window.history.replaceState(null, '', '/setup');
    session.acceptSession(info);
    if (info.nextStep === 'none') finish(info);
    else setPending(info);
  };

  if (enrolled?.recoveryCodes) {
    return (
      <AuthCard title="Save your recovery codes" testId="setup-page">
        <SetupProgress current={2} />
        <RecoveryCodesPanel codes={enrolled.recoveryCodes} onDone={() => finish(enrolled.session)} doneLabel="Open the dashboard" />
      </AuthCard>
    );
  }
  if (pending) {
    return (
      <AuthCard title="Set up a second factor" subtitle="Every Rampart account needs one: your password alone never opens the dashboard." testId="setup-page">
        <SetupProgress current={1} />
        <EnrolSecondFactor stage="sign-in" onEnrolled={(answer) => (answer.recoveryCodes ? setEnrolled(answer) : finish(answer.session))} />
      </AuthCard>
    );
  }
  if (purpose.isLoading) {
    return (
      <AuthCard title="Set up your account" testId="setup-page">
        <LoadingState label="Checking your setup link…" />
      </AuthCard>
    );
  }
  if (!purpose.data) {
    return (
      <AuthCard title="This setup link does not work" testId="setup-page">
        <ErrorMessage error={purpose.error} testId="setup-link-error" />
        <p>
          <Link to="/sign-in">Go to sign-in</Link>
        </p>
      </AuthCard>
    );
  }
  const isBootstrap = purpose.data.kind === 'bootstrap';
  return (
    <AuthCard
      title={isBootstrap ? 'Create the first admin' : 'Welcome to Rampart'}
      subtitle={isBootstrap ? 'This account manages users, roles, API keys and settings. You will add your team afterwards.' : 'Choose your password; a second factor comes next.'}
      testId="setup-page"
    >
      <SetupProgress current={0} />
      <SetupAccountForm token={token} purpose={purpose.data} onCreated={onAccountCreated} />
    </AuthCard>
  );
}
