import type { ApiClient } from './http-client';

export type AuditOutcome = 'success' | 'denied' | 'failed';

export interface AuditEntry {
  seq: number;
  occurredAt: number;
  actor: { type: string; id: string | null; label?: string };
  action: string;
  resource: { type: string; id: string } | null;
  /** The contact's pseudonym, never a number or a name. */
  subject: string | null;
  sourceAddress: string | null;
  outcome: AuditOutcome;
  details: Record<string, string | number | boolean | null>;
}

export interface AuditVerification {
  state: 'intact' | 'broken' | 'running' | 'never-run';
  checkedAt: number | null;
  checkedSize: number | null;
  firstBadSeq: number | null;
  message: string | null;
}

export interface AuditStatus {
  treeSize: number;
  rootHash: string;
  latestCheckpoint: { treeSize: number; rootHash: string; signedAt: number; keyName: string; note: string } | null;
  verification: AuditVerification;
}

export interface AuditEntryQuery {
  before?: number | null;
  limit?: number;
  /** Matches actions starting with this text, e.g. `auth.` */
  action?: string;
  outcome?: AuditOutcome | '';
}

/** `/api/v1/audit/…` (audit.read). */
export function createAuditApi(client: ApiClient) {
  return {
    listEntries: (query: AuditEntryQuery, signal?: AbortSignal) =>
      client.requestJson<{ entries: AuditEntry[]; nextBefore: number | null }>('/api/v1/audit/entries', {
        query: { before: query.before, limit: query.limit ?? 50, action: query.action, outcome: query.outcome },
        signal,
      }),
    getStatus: (signal?: AbortSignal) => client.requestJson<AuditStatus>('/api/v1/audit/status', { signal }),
    /** Starts a full verification in the background (one at a time). */
    startVerification: () => client.requestJson<AuditVerification>('/api/v1/audit/verify', { method: 'POST' }),
    /** The latest signed checkpoint note, as text to keep outside the server. */
    getCheckpointNote: (signal?: AbortSignal) => client.requestText('/api/v1/audit/checkpoint', { signal }),
  };
}

export type AuditApi = ReturnType<typeof createAuditApi>;
