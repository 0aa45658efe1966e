import type { Setting } from '../api/settings-api';
import { Badge } from '../components/badge';
import { Card } from '../components/card';
import { EmptyState } from '../components/empty-state';
import { ErrorMessage } from '../components/error-message';
import { LoadingState } from '../components/loading-state';
import { Notice } from '../components/notice';
import { PageHeader } from '../components/page-header';
import { useApiData } from '../hooks/use-api-data';
import { useDocumentTitle } from '../hooks/use-document-title';
import { useApi } from '../session/api-context';

/** The gateway's configuration, read-only: it comes from the environment; secrets only say whether they are set. */
export function SettingsPage() {
  useDocumentTitle('Settings');
  const api = useApi();
  const settings = useApiData((signal) => api.settings.getSettings(signal), []);
  return (
    <div className="page" data-testid="settings-page">
      <PageHeader title="Settings" description="How this Rampart is configured." />
      <Notice tone="info">
        <p>
          Settings come from environment variables (or <code>NAME_FILE</code> files and <code>RAMPART_CONFIG_FILE</code>) and are read once at start. To change one, change the environment and restart Rampart. Secrets are never shown: only whether they are set.
        </p>
      </Notice>
      {settings.isLoading ? <LoadingState label="Loading settings…" /> : null}
      <ErrorMessage error={settings.error} title="The settings could not be loaded." />
      {settings.data && settings.data.groups.length === 0 ? <EmptyState title="No settings to show" /> : null}
      {settings.data?.groups.map((group) => (
        <Card key={group.name} title={group.name} testId="settings-group">
          <dl className="settings-list">
            {group.settings.map((setting) => (
              <div key={setting.name} className="settings-list__item" data-testid="setting-row" data-setting={setting.name}>
                <dt>
                  <code>{setting.name}</code>
                  <span className="settings-list__description">{setting.description}</span>
                </dt>
                <dd>
                  <SettingValue setting={setting} />
                </dd>
              </div>
            ))}
          </dl>
        </Card>
      ))}
    </div>
  );
}

function SettingValue({ setting }: { setting: Setting }) {
  if (setting.isSecret) return setting.isSet ? <Badge tone="success">Set</Badge> : <Badge>Not set</Badge>;
  return (
    <span className="settings-list__value">
      {setting.value === null ? <span className="muted">Not set</span> : <code>{setting.value}</code>}
      {setting.isDefault ? <Badge>Default</Badge> : null}
    </span>
  );
}
