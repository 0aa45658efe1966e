import { ApiKeysTable } from '../components/api-keys/api-keys-table';
import { CreateApiKeyForm } from '../components/api-keys/create-api-key-form';
import { Card } from '../components/card';
import { EmptyState } from '../components/empty-state';
import { ErrorMessage } from '../components/error-message';
import { LoadingState } from '../components/loading-state';
import { PageHeader } from '../components/page-header';
import { useApiData } from '../hooks/use-api-data';
import { useDocumentTitle } from '../hooks/use-document-title';
import { useApi } from '../session/api-context';

/** API keys for the business's own services (keys.manage). */
export function ApiKeysPage() {
  useDocumentTitle('API keys');
  const api = useApi();
  const keys = useApiData((_signal) => api.apiKeys.listApiKeys(), []);
  return (
    <div className="page" data-testid="api-keys-page">
      <PageHeader title="API keys" description="Your own services call Rampart’s API with these keys. Creating and revoking asks you to confirm with your second factor." />
      <Card title="Create a key">
        <CreateApiKeyForm onCreated={keys.reload} />
      </Card>
      <Card title="Keys">
        {keys.isLoading ? <LoadingState label="Loading keys…" /> : null}
        <ErrorMessage error={keys.error} />
        {keys.data && keys.data.length === 0 ? (
          <EmptyState title="No API keys yet" testId="api-keys-empty">
            <p>Create one above for each service that sends messages or reads events, with only the scopes it needs.</p>
          </EmptyState>
        ) : null}
        {keys.data && keys.data.length > 0 ? <ApiKeysTable keys={keys.data} onChanged={keys.reload} /> : null}
      </Card>
    </div>
  );
}
