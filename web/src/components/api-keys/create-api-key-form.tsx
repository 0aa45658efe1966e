import { useState } from 'react';
import type { ApiKeyScope } from '../../api/api-keys-api';
import { apiKeyScopeDescriptions, apiKeyScopes } from '../../api/api-keys-api';
import { useAction } from '../../hooks/use-action';
import { useApi } from '../../session/api-context';
import { Button } from '../button';
import { ErrorMessage } from '../error-message';
import { Field } from '../field';
import { OneTimeSecret } from '../one-time-secret';

/** A named key with chosen scopes; the key itself is shown once, with a copy button. */
export function CreateApiKeyForm({ onCreated }: { onCreated: () => void }) {
  const api = useApi();
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<ApiKeyScope[]>(['messages:send']);
  const [createdKey, setCreatedKey] = useState<{ key: string; name: string } | null>(null);
  const create = useAction(async () => {
    const answer = await api.apiKeys.createApiKey(name.trim(), scopes);
    setCreatedKey({ key: answer.key, name: answer.summary.name });
    setName('');
    onCreated();
  });
  return (
    <div className="create-api-key">
      {createdKey ? (
        <OneTimeSecret title={`The key “${createdKey.name}”`} value={createdKey.key} testId="api-key-secret">
          <p>Copy it into your service’s secret store now: Rampart keeps only its hash, so it is never shown again. Services send it as <code>Authorization: Bearer …</code>.</p>
        </OneTimeSecret>
      ) : null}
      <form
        className="form"
        onSubmit={(event) => {
          event.preventDefault();
          void create.run();
        }}
      >
        <Field label="Name" hint="Which service uses it, e.g. “crm-sync”.">
          {(props) => <input {...props} className="input" required maxLength={100} value={name} onChange={(event) => setName(event.target.value)} data-testid="api-key-name" />}
        </Field>
        <fieldset className="checkbox-list checkbox-list--columns">
          <legend className="field__label">Scopes</legend>
          {apiKeyScopes.map((scope) => (
            <label key={scope} className="checkbox checkbox--described">
              <input
                type="checkbox"
                checked={scopes.includes(scope)}
                onChange={(event) => setScopes(event.target.checked ? [...scopes, scope] : scopes.filter((item) => item !== scope))}
                data-testid={`api-key-scope-${scope}`}
              />
              <span>
                <span className="checkbox__label">{scope}</span>
                <span className="checkbox__description">{apiKeyScopeDescriptions[scope]}</span>
              </span>
            </label>
          ))}
        </fieldset>
        <ErrorMessage error={create.error} />
        <div className="form__actions">
          <Button type="submit" variant="primary" isBusy={create.isBusy} disabled={scopes.length === 0} data-testid="api-key-create">
            Create the key
          </Button>
          {scopes.length === 0 ? <span className="muted small">Choose at least one scope.</span> : null}
        </div>
      </form>
    </div>
  );
}
