import type { ApiClient } from './http-client';

export interface Setting {
  name: string;
  /** Null for secrets (never sent) and for settings without a value. */
  value: string | null;
  isSecret: boolean;
  isSet: boolean;
  isDefault: boolean;
  description: string;
}

export interface SettingsGroup {
  name: string;
  settings: Setting[];
}

/** `/api/v1/settings` (settings.manage): read-only, from the environment. */
export function createSettingsApi(client: ApiClient) {
  return {
    getSettings: (signal?: AbortSignal) => client.requestJson<{ groups: SettingsGroup[] }>('/api/v1/settings', { signal }),
  };
}

export type SettingsApi = ReturnType<typeof createSettingsApi>;
