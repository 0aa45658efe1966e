import { decryptJson } from '../crypto/envelope.js';
import type { Db } from '../db/database.js';
import { contentContext } from '../outbound/send-service.js';
import { describeInboundMessage, describeOutboundMessage } from './inbox-message-text.js';
import { takeTimePage } from './inbox-paging.js';
import type { TimePage } from './inbox-paging.js';
import { threadStatuses } from './inbox-schemas.js';
import type { ThreadMessage } from './inbox-schemas.js';

/**
 * A message of a thread as stored: plaintext columns plus its sealed content. Reading these is not
 * an access to customer data; `openThreadMessages` is, and runs only under an audit entry.
 */
export type SealedThreadRow = SealedInbound | SealedOutbound;

interface SealedInbound {
  direction: 'inbound';
  id: string;
  type: string;
  sentAt: number;
  contentEnc: Buffer;
  mediaId: string | null;
}

interface SealedOutbound {
  direction: 'outbound';
  id: string;
  type: string;
  sentAt: number;
  contentEnc: Buffer;
  status: ThreadMessage['status'];
  failure: ThreadMessage['failure'];
  sentBy: NonNullable<ThreadMessage['sentBy']>;
}

/** One page of a thread, newest first (`before`: exclusive, epoch ms). */
export async function findThreadPage(db: Db, contactId: string, { before, limit }: { before: number | null; limit: number }): Promise<TimePage<SealedThreadRow>> {
  const [inbound, outbound] = await Promise.all([findInbound(db, contactId, { before, limit: limit + 1 }), findOutbound(db, contactId, { before, limit: limit + 1 })]);
  const candidates = newestFirst([...inbound, ...outbound]).slice(0, limit + 1);
  return takeTimePage(candidates, limit, (row) => row.sentAt, async (time) =>
    newestFirst([...(await findInbound(db, contactId, { at: time })), ...(await findOutbound(db, contactId, { at: time }))]),
  );
}

/** The whole thread, oldest first (the export). */
export async function findWholeThread(db: Db, contactId: string): Promise<SealedThreadRow[]> {
  const [inbound, outbound] = await Promise.all([findInbound(db, contactId, {}), findOutbound(db, contactId, {})]);
  return newestFirst([...inbound, ...outbound]).reverse();
}

/** Decrypts the rows of one contact (all under its data key), oldest first. Call only inside `auditedAccess`. */
export function openThreadMessages(rows: readonly SealedThreadRow[], dataKey: Buffer, contactId: string): ThreadMessage[] {
  return [...rows].sort(compareOldestFirst).map((row) => (row.direction === 'inbound' ? openInbound(row, dataKey, contactId) : openOutbound(row, dataKey, contactId)));
}

function openInbound(row: SealedInbound, dataKey: Buffer, contactId: string): ThreadMessage {
  const sealed = decryptJson(dataKey, { table: 'messages', column: 'content', rowId: row.id, contactId }, row.contentEnc) as { message?: unknown };
  const { text, summary } = describeInboundMessage(row.type, sealed.message);
  return { id: row.id, direction: 'inbound', type: row.type, sentAt: row.sentAt, text, summary, mediaId: row.mediaId, status: null, failure: null, sentBy: null };
}

function openOutbound(row: SealedOutbound, dataKey: Buffer, contactId: string): ThreadMessage {
  const message = decryptJson(dataKey, contentContext(row.id, contactId), row.contentEnc);
  const { text, summary } = describeOutboundMessage(row.type, message);
  return { id: row.id, direction: 'outbound', type: row.type, sentAt: row.sentAt, text, summary, mediaId: null, status: row.status, failure: row.failure, sentBy: row.sentBy };
}

type TimeFilter = { before?: number | null; limit?: number; at?: number };

async function findInbound(db: Db, contactId: string, filter: TimeFilter): Promise<SealedInbound[]> {
  let query = db
    .selectFrom('messages')
    .leftJoin('media_objects', 'media_objects.message_id', 'messages.id')
    .select(['messages.id', 'messages.type', 'messages.sent_at', 'messages.content_enc', 'media_objects.id as media_id'])
    .where('messages.contact_id', '=', contactId)
    .where('messages.direction', '=', 'inbound')
    .orderBy('messages.sent_at', 'desc')
    .orderBy('messages.id', 'desc');
  if (filter.before !== undefined && filter.before !== null) query = query.where('messages.sent_at', '<', filter.before);
  if (filter.at !== undefined) query = query.where('messages.sent_at', '=', filter.at);
  if (filter.limit !== undefined) query = query.limit(filter.limit);
  const rows = await query.execute();
  return rows.map((row) => ({ direction: 'inbound', id: row.id, type: row.type, sentAt: Number(row.sent_at), contentEnc: row.content_enc, mediaId: row.media_id }));
}

async function findOutbound(db: Db, contactId: string, filter: TimeFilter): Promise<SealedOutbound[]> {
  let query = db
    .selectFrom('outbound_messages')
    .leftJoin('message_statuses', 'message_statuses.wamid_index', 'outbound_messages.wamid_index')
    .leftJoin('users', 'users.id', 'outbound_messages.sent_by_user_id')
    .leftJoin('api_keys', 'api_keys.id', 'outbound_messages.api_key_id')
    .select([
      'outbound_messages.id',
      'outbound_messages.type',
      'outbound_messages.created_at',
      'outbound_messages.content_enc',
      'outbound_messages.state',
      'outbound_messages.error_code',
      'outbound_messages.error_reason',
      'outbound_messages.sent_by_user_id',
      'outbound_messages.api_key_id',
      'message_statuses.status',
      'users.display_name',
      'api_keys.name as api_key_name',
    ])
    .where('outbound_messages.contact_id', '=', contactId)
    .orderBy('outbound_messages.created_at', 'desc')
    .orderBy('outbound_messages.id', 'desc');
  if (filter.before !== undefined && filter.before !== null) query = query.where('outbound_messages.created_at', '<', filter.before);
  if (filter.at !== undefined) query = query.where('outbound_messages.created_at', '=', filter.at);
  if (filter.limit !== undefined) query = query.limit(filter.limit);
  const rows = await query.execute();
  return rows.map((row) => {
    const status = toThreadStatus(row.state, row.status);
    return {
      direction: 'outbound',
      id: row.id,
      type: row.type,
      sentAt: Number(row.created_at),
      contentEnc: row.content_enc,
      status,
      failure: status === 'failed' ? { code: row.error_code, reason: row.error_reason ?? 'Meta reported the message as failed' } : null,
      sentBy: senderOf(row),
    };
  });
}

/** Before Meta accepts a message its own state says it all; afterwards the status webhooks do (monotonic). */
function toThreadStatus(state: string, webhookStatus: string | null): ThreadMessage['status'] {
  const status = state === 'sent' ? (webhookStatus ?? 'sent') : state;
  if (status === 'played') return 'read';
  return (threadStatuses as readonly string[]).includes(status) ? (status as ThreadMessage['status']) : 'sent';
}

function senderOf(row: { sent_by_user_id: string | null; api_key_id: string | null; display_name: string | null; api_key_name: string | null }): NonNullable<ThreadMessage['sentBy']> {
  if (row.sent_by_user_id !== null) return { type: 'user', label: row.display_name ?? 'Former user' };
  if (row.api_key_id !== null) return { type: 'api-key', label: row.api_key_name ?? 'Deleted API key' };
  return { type: 'system', label: 'Rampart' };
}

function newestFirst(rows: SealedThreadRow[]): SealedThreadRow[] {
  return rows.sort((a, b) => -compareOldestFirst(a, b));
}

function compareOldestFirst(a: SealedThreadRow, b: SealedThreadRow): number {
  if (a.sentAt !== b.sentAt) return a.sentAt - b.sentAt;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}
