import type { ApiClient } from './http-client';

/** What an API key may do (src/identity/api-key-service.ts). */
export const apiKeyScopes = ['messages:send', 'messages:read', 'media:read', 'events:read', 'audit:read', 'metrics:read'] as const;
export type ApiKeyScope = (typeof apiKeyScopes)[number];

export const apiKeyScopeDescriptions: Record<ApiKeyScope, string> = {
  'messages:send': 'Send messages and templates',
  'messages:read': 'Read message status',
  'media:read': 'Download customer media',
  'events:read': 'Read stored events',
  'audit:read': 'Read the audit log and its checkpoints',
  'metrics:read': 'Scrape /metrics (Prometheus)',
};

export interface ApiKeySummary {
  id: string;
  name: string;
  scopes: ApiKeyScope[];
  displayPrefix: string;
  createdAt: number;
  lastUsedAt: number | null;
  revokedAt: number | null;
}

/** `/api/v1/api-keys` (keys.manage; creating and revoking need a recent second factor). */
export function createApiKeysApi(client: ApiClient) {
  return {
    listApiKeys: () => client.requestJson<ApiKeySummary[]>('/api/v1/api-keys'),
    /** The key itself is in this answer only; Rampart keeps its hash. */
    createApiKey: (name: string, scopes: ApiKeyScope[]) => client.requestJson<{ key: string; summary: ApiKeySummary }>('/api/v1/api-keys', { method: 'POST', body: { name, scopes } }),
    revokeApiKey: (id: string) => client.requestJson<ApiKeySummary>(`/api/v1/api-keys/${encodeURIComponent(id)}`, { method: 'DELETE' }),
  };
}

export type ApiKeysApi = ReturnType<typeof createApiKeysApi>;
