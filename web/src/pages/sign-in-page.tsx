import { useState } from 'react';
import { Navigate, useLocation } from 'react-router';
import type { EnrolmentAnswer } from '../api/mfa-api';
import { AuthCard } from '../components/auth/auth-card';
import { EnrolSecondFactor } from '../components/auth/enrol-second-factor';
import { PasswordStep } from '../components/auth/password-step';
import { RecoveryCodesPanel } from '../components/auth/recovery-codes-panel';
import { SecondFactorStep } from '../components/auth/second-factor-step';
import { Notice } from '../components/notice';
import { FullPageLoading } from '../components/route-guards';
import { useDocumentTitle } from '../hooks/use-document-title';
import { findLandingPath } from '../session/navigation';
import type { SignedOutReason } from '../session/session-context';
import { useSession } from '../session/session-context';

/**
 * Sign-in: email and password, then the second factor (or, for a user who has none yet, enrolling
 * one and saving recovery codes). Says why it is showing when a session ended.
 */
export function SignInPage() {
  useDocumentTitle('Sign in');
  const session = useSession();
  const location = useLocation();
  const [enrolled, setEnrolled] = useState<EnrolmentAnswer | null>(null);
  const from = (location.state as { from?: string } | null)?.from;
  const { state } = session;

  if (state.status === 'loading') return <FullPageLoading />;
  if (enrolled?.recoveryCodes) {
    const { session: info, recoveryCodes } = enrolled;
    return (
      <AuthCard title="Your recovery codes" testId="sign-in-page">
        <RecoveryCodesPanel
          codes={recoveryCodes}
          onDone={() => {
            setEnrolled(null);
            session.acceptSession(info);
          }}
        />
      </AuthCard>
    );
  }
  if (state.status === 'active') return <Navigate to={from && from !== '/sign-in' ? from : findLandingPath(session.hasPermission)} replace />;
  if (state.status === 'pending' && state.info.nextStep === 'enrol-second-factor') {
    return (
      <AuthCard title="Set up a second factor" subtitle="Every Rampart account needs one: your password alone never opens the dashboard." testId="sign-in-page">
        <EnrolSecondFactor stage="sign-in" onEnrolled={(answer) => (answer.recoveryCodes ? setEnrolled(answer) : session.acceptSession(answer.session))} />
      </AuthCard>
    );
  }
  if (state.status === 'pending') {
    return (
      <AuthCard title="Confirm it’s you" subtitle={<>Signed in as {state.info.user.email}. One more step.</>} testId="sign-in-page">
        <SecondFactorStep onVerified={session.acceptSession} onEnded={() => session.endSession('sign-in-expired')} onStartOver={() => void session.signOut()} />
      </AuthCard>
    );
  }
  const reason = state.status === 'signed-out' ? state.reason : null;
  return (
    <AuthCard title="Sign in" subtitle="The Rampart dashboard, for your team’s WhatsApp conversations." testId="sign-in-page">
      {reason ? <SignedOutNotice reason={reason} idleMinutes={session.idleMinutes} /> : null}
      <PasswordStep onSignedIn={session.acceptSession} />
    </AuthCard>
  );
}

function SignedOutNotice({ reason, idleMinutes }: { reason: SignedOutReason; idleMinutes: number }) {
  const text = {
    'session-ended': `Your session ended (idle for ${idleMinutes} minutes or signed out). Sign in again.`,
    'signed-out': 'You signed out. Sign in again to continue.',
    'sign-in-expired': 'That sign-in attempt ended (too many wrong codes, or more than 10 minutes passed). Start again with your password.',
  }[reason];
  return (
    <Notice tone={reason === 'signed-out' ? 'info' : 'warning'} testId="sign-in-notice">
      <p>{text}</p>
    </Notice>
  );
}
