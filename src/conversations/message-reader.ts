import type { Kysely } from 'kysely';
import type { BlindIndex } from '../crypto/blind-index.js';
import { decryptJson, decryptText } from '../crypto/envelope.js';
import type { KeyStore } from '../crypto/key-store.js';
import type { DatabaseSchema } from '../db/database-schema.js';
import { findLastInboundAt } from './customer-window.js';

export interface StoredMessage {
  id: string;
  contactId: string;
  wamid: string;
  type: string;
  direction: string;
  sentAt: number;
  content: unknown;
}

export interface StoredContact {
  id: string;
  waId: string;
  profile: unknown;
  lastInboundAt: number | null;
}

export interface StoredStatus {
  status: string;
  statusAt: number;
  details: unknown;
}

/**
 * The decrypting read path. Every read here releases customer data; the people issue routes
 * these calls through the audit log before plaintext leaves the process.
 */
export function createMessageReader({ db, keys, index }: { db: Kysely<DatabaseSchema>; keys: KeyStore; index: BlindIndex }) {
  async function findMessageByWamid(wamid: string): Promise<StoredMessage | null> {
    const row = await db.selectFrom('messages').selectAll().where('wamid_index', '=', index.messageId(wamid)).executeTakeFirst();
    if (!row) return null;
    const dataKey = await keyOfContact(row.contact_id);
    const context = { table: 'messages', column: 'content', rowId: row.id, contactId: row.contact_id };
    const sealed = decryptJson(dataKey, context, row.content_enc) as { wamid: string; message: unknown };
    return { id: row.id, contactId: row.contact_id, wamid: sealed.wamid, content: sealed.message, type: row.type, direction: row.direction, sentAt: row.sent_at };
  }

  async function findContactByPhone(phone: string): Promise<StoredContact | null> {
    const row = await db.selectFrom('contacts').selectAll().where('lookup_index', '=', index.phone(phone)).executeTakeFirst();
    if (!row) return null;
    const dataKey = await keyOfContact(row.id);
    const context = (column: string) => ({ table: 'contacts', column, rowId: row.id, contactId: row.id });
    return {
      id: row.id,
      waId: decryptText(dataKey, context('wa_id'), row.wa_id_enc),
      profile: row.profile_enc ? decryptJson(dataKey, context('profile'), row.profile_enc) : null,
      lastInboundAt: await findLastInboundAt(db, row.id),
    };
  }

  async function findStatusByWamid(wamid: string): Promise<StoredStatus | null> {
    const wamidIndex = index.messageId(wamid);
    const row = await db
      .selectFrom('message_statuses')
      .innerJoin('status_events', (join) =>
        join.onRef('status_events.wamid_index', '=', 'message_statuses.wamid_index').onRef('status_events.status', '=', 'message_statuses.status'),
      )
      .select(['message_statuses.status', 'message_statuses.status_at', 'status_events.contact_id', 'status_events.id as event_id', 'status_events.details_enc'])
      .where('message_statuses.wamid_index', '=', wamidIndex)
      .executeTakeFirst();
    if (!row) return null;
    const dataKey = row.contact_id ? await keyOfContact(row.contact_id) : (await keys.getSystemKey(db)).key;
    const context = { table: 'status_events', column: 'details', rowId: row.event_id, contactId: row.contact_id ?? '' };
    return { status: row.status, statusAt: row.status_at, details: decryptJson(dataKey, context, row.details_enc) };
  }

  async function keyOfContact(contactId: string): Promise<Buffer> {
    const contact = await db.selectFrom('contacts').select('data_key_id').where('id', '=', contactId).executeTakeFirstOrThrow();
    return (await keys.getDataKey(db, contact.data_key_id, contactId)).key;
  }

  return { findMessageByWamid, findContactByPhone, findStatusByWamid };
}

export type MessageReader = ReturnType<typeof createMessageReader>;
