import type { ApiClient, DownloadedFile } from './http-client';

/** One customer's conversation with the business number, as listed: nothing here is decrypted. */
export interface ConversationSummary {
  /** The contact's id. */
  id: string;
  /** "C-" and the first 8 hex digits of the id: shown instead of a name until the thread is opened. */
  pseudonym: string;
  assignedTo: { id: string; displayName: string } | null;
  lastMessageAt: number | null;
  lastInboundAt: number | null;
  lastDirection: 'inbound' | 'outbound' | null;
  messageCount: number;
  /** The 24-hour customer-service window. */
  window: { isOpen: boolean; closesAt: number | null };
  optedOut: boolean;
}

export type DeliveryStatus = 'queued' | 'sent' | 'delivered' | 'read' | 'failed';

export interface ThreadMessage {
  id: string;
  direction: 'inbound' | 'outbound';
  type: string;
  sentAt: number;
  text: string | null;
  summary: string;
  mediaId: string | null;
  status: DeliveryStatus | null;
  failure: { code: number | null; reason: string } | null;
  sentBy: { type: 'user' | 'api-key' | 'system'; label: string } | null;
}

export interface Thread {
  conversation: ConversationSummary;
  contact: { name: string | null; phone: string };
  messages: ThreadMessage[];
  nextBefore: number | null;
}

export interface ContactView {
  id: string;
  pseudonym: string;
  name: string | null;
  phone: string;
  firstSeenAt: number;
  lastInboundAt: number | null;
  consent: { purpose: string; state: 'opted-in' | 'opted-out'; changedAt: number; source: string }[];
  messageCounts: { inbound: number; outbound: number };
}

export type ConversationFilter = 'all' | 'mine' | 'unassigned';

const conversationPath = (id: string) => `/api/v1/conversations/${encodeURIComponent(id)}`;

/**
 * `/api/v1/conversations` and `/api/v1/contacts` (the inbox contract). Listing never decrypts;
 * opening a thread, viewing a contact, searching and exporting do, and each writes an audit entry.
 */
export function createConversationsApi(client: ApiClient) {
  return {
    listConversations: (query: { filter: ConversationFilter; before?: number | null; limit?: number }, signal?: AbortSignal) =>
      client.requestJson<{ conversations: ConversationSummary[]; nextBefore: number | null }>('/api/v1/conversations', {
        query: { filter: query.filter, before: query.before, limit: query.limit ?? 50 },
        signal,
      }),
    getConversation: (id: string, signal?: AbortSignal) => client.requestJson<ConversationSummary>(conversationPath(id), { signal }),
    /** Audited: one entry per call. */
    openThread: (id: string, query: { before?: number | null; limit?: number } = {}, signal?: AbortSignal) =>
      client.requestJson<Thread>(`${conversationPath(id)}/messages`, { query: { before: query.before, limit: query.limit ?? 50 }, signal }),
    /** The number travels in the body, never in a URL. Audited when found. */
    searchByPhone: (phone: string) => client.requestJson<{ conversation: ConversationSummary }>('/api/v1/conversations/search', { method: 'POST', body: { phone } }),
    /** Audited. */
    viewContact: (id: string, signal?: AbortSignal) => client.requestJson<ContactView>(`/api/v1/contacts/${encodeURIComponent(id)}`, { signal }),
    /** The same idempotency key with the same text returns the first answer: a retried click sends once. */
    reply: (id: string, text: string, idempotencyKey: string) =>
      client.requestJson<{ id: string; status: 'queued' }>(`${conversationPath(id)}/messages`, { method: 'POST', body: { text }, headers: { 'idempotency-key': idempotencyKey } }),
    assign: (id: string, userId: string | null) => client.requestJson<ConversationSummary>(`${conversationPath(id)}/assignment`, { method: 'PUT', body: { userId } }),
    listAssignees: (signal?: AbortSignal) => client.requestJson<{ users: { id: string; displayName: string }[] }>('/api/v1/conversations/assignees', { signal }),
    /** Audited; needs a recent second factor. */
    exportConversation: (id: string, format: 'json' | 'csv'): Promise<DownloadedFile> => client.requestFile(`${conversationPath(id)}/export`, { query: { format } }),
  };
}

export type ConversationsApi = ReturnType<typeof createConversationsApi>;
