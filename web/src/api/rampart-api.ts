import { createApiKeysApi } from './api-keys-api';
import { createAuditApi } from './audit-api';
import { createAuthApi } from './auth-api';
import { createConversationsApi } from './conversations-api';
import { createApiClient } from './http-client';
import { createMfaApi } from './mfa-api';
import { createSettingsApi } from './settings-api';
import { createUsersApi } from './users-api';

/** Every area of the API over one client (one CSRF source, one step-up and session-ended handler). */
export function createRampartApi(client = createApiClient()) {
  return {
    client,
    auth: createAuthApi(client),
    mfa: createMfaApi(client),
    users: createUsersApi(client),
    apiKeys: createApiKeysApi(client),
    conversations: createConversationsApi(client),
    audit: createAuditApi(client),
    settings: createSettingsApi(client),
  };
}

export type RampartApi = ReturnType<typeof createRampartApi>;
