import { ChangePasswordForm } from '../components/account/change-password-form';
import { SecondFactorsCard } from '../components/account/second-factors-card';
import { SessionsCard } from '../components/account/sessions-card';
import { Button } from '../components/button';
import { Card } from '../components/card';
import { PageHeader } from '../components/page-header';
import { useDocumentTitle } from '../hooks/use-document-title';
import { formatDateTime } from '../lib/format';
import { useSession } from '../session/session-context';

/** Your password, second factors and sessions. */
export function AccountPage() {
  useDocumentTitle('Your account');
  const session = useSession();
  const info = session.active;
  return (
    <div className="page" data-testid="account-page">
      <PageHeader
        title="Your account"
        description={info ? `${info.user.displayName} · ${info.user.email}` : undefined}
        actions={
          <Button onClick={() => void session.signOut()} data-testid="account-sign-out">
            Sign out
          </Button>
        }
      />
      {info ? (
        <Card title="Access">
          <dl className="details details--inline">
            <dt>Roles</dt>
            <dd>{info.user.roleIds.join(', ') || 'None'}</dd>
            <dt>Conversations</dt>
            <dd>{info.conversationAccess === 'all' ? 'Every conversation' : 'Only those assigned to you'}</dd>
            <dt>Signed in</dt>
            <dd>{formatDateTime(info.session.createdAt)}; this session ends at {formatDateTime(info.session.expiresAt)} at the latest, or after {session.idleMinutes} minutes without activity.</dd>
          </dl>
        </Card>
      ) : null}
      <SecondFactorsCard />
      <Card title="Password" description="Changing it signs you out everywhere else.">
        <ChangePasswordForm />
      </Card>
      <SessionsCard />
    </div>
  );
}
