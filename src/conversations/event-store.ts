import { randomUUID } from 'node:crypto';
import type { BlindIndex } from '../crypto/blind-index.js';
import { encryptJson, encryptText } from '../crypto/envelope.js';
import type { EnvelopeContext } from '../crypto/envelope.js';
import type { DataKey, KeyStore } from '../crypto/key-store.js';
import { contactKeyOwner } from '../crypto/key-store.js';
import type { Clock } from '../clock.js';
import type { Trx } from '../db/group-commit-writer.js';
import type { AccountEvent, InboundMessageEvent, IngressEvent, StatusEvent } from '../ingress/ingress-event.js';
import { canonicalJson } from './canonical-json.js';
import { rankStatus } from './status-rank.js';

export interface StoreResult {
  stored: number;
  duplicates: number;
}

interface ResolvedContact {
  id: string;
  dataKey: DataKey;
}

/**
 * The write path of the ingress: turns normalised webhook events into encrypted rows inside the
 * caller's transaction. Duplicates (same message id, same status of a message, same account
 * event) are recognised by keyed blind indexes and stored once.
 */
export function createEventStore({ keys, index, clock }: { keys: KeyStore; index: BlindIndex; clock: Clock }) {
  async function storeEvents(trx: Trx, events: readonly IngressEvent[]): Promise<StoreResult> {
    const batch = createBatchState(trx);
    const result: StoreResult = { stored: 0, duplicates: 0 };
    for (const event of events) {
      const isStored =
        event.kind === 'message'
          ? await storeMessage(batch, event)
          : event.kind === 'status'
            ? await storeStatus(batch, event)
            : await storeAccountEvent(batch, event);
      if (isStored) result.stored += 1;
      else result.duplicates += 1;
    }
    await batch.flushContactUpdates();
    return result;
  }

  function createBatchState(trx: Trx) {
    const contacts = new Map<string, Promise<ResolvedContact>>();
    const lastInbound = new Map<string, { contact: ResolvedContact; at: number; profile: Record<string, unknown> | null }>();

    /** One contact per customer identity, found by blind index or created with its own data key. */
    function resolveContact(customerId: string): Promise<ResolvedContact> {
      const lookup = lookupIndexOf(customerId);
      const key = lookup.toString('hex');
      let resolved = contacts.get(key);
      if (!resolved) {
        resolved = findOrCreateContact(trx, lookup, customerId);
        contacts.set(key, resolved);
      }
      return resolved;
    }

    function noteInbound(contact: ResolvedContact, at: number, profile: Record<string, unknown> | null): void {
      const previous = lastInbound.get(contact.id);
      if (!previous || previous.at < at) lastInbound.set(contact.id, { contact, at, profile: profile ?? previous?.profile ?? null });
    }

    async function flushContactUpdates(): Promise<void> {
      for (const { contact, at, profile } of lastInbound.values()) {
        const now = clock.now();
        await trx
          .updateTable('contacts')
          .set((eb) => ({
            // Portable max(): SQLite's max() and PostgreSQL's greatest() are spelled differently.
            last_inbound_at: eb
              .case()
              .when(eb.or([eb('last_inbound_at', 'is', null), eb('last_inbound_at', '<', at)]))
              .then(at)
              .else(eb.ref('last_inbound_at'))
              .end(),
            updated_at: now,
            ...(profile ? { profile_enc: encryptContactField(contact, 'profile', profile) } : {}),
          }))
          .where('id', '=', contact.id)
          .execute();
      }
    }

    return { trx, resolveContact, noteInbound, flushContactUpdates };
  }
  type BatchState = ReturnType<typeof createBatchState>;

  function lookupIndexOf(customerId: string): Buffer {
    // wa_ids are phone numbers in digits; business-scoped user ids ("US.123…") and anything odd are
    // indexed as opaque ids, so one strange id can never make a whole webhook fail (and be retried forever).
    return isPhoneLike(customerId) ? index.phone(customerId) : index.userId(customerId);
  }

  async function findOrCreateContact(trx: Trx, lookup: Buffer, customerId: string): Promise<ResolvedContact> {
    const existing = await findContact(trx, lookup);
    if (existing) return existing;

    const id = randomUUID();
    const dataKey = await keys.createDataKey(trx, contactKeyOwner(id), id);
    const contact = { id, dataKey };
    const now = clock.now();
    const inserted = await trx
      .insertInto('contacts')
      .values({
        id,
        lookup_index: lookup,
        data_key_id: dataKey.keyInfo.dataKeyId,
        wa_id_enc: encryptContactField(contact, 'wa_id', customerId),
        profile_enc: null,
        created_at: now,
        updated_at: now,
        last_inbound_at: null,
      })
      // A concurrent transaction (another batch or gateway) may create the same contact first.
      .onConflict((conflict) => conflict.column('lookup_index').doNothing())
      .executeTakeFirst();
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) > 0) return contact;
    await keys.deleteDataKey(trx, dataKey.keyInfo.dataKeyId);
    const winner = await findContact(trx, lookup);
    if (!winner) throw new Error('contact vanished after a conflicting insert');
    return winner;
  }

  async function findContact(trx: Trx, lookup: Buffer): Promise<ResolvedContact | null> {
    const row = await trx
      .selectFrom('contacts')
      .innerJoin('data_keys', 'data_keys.id', 'contacts.data_key_id')
      .select(['contacts.id as contact_id', 'data_keys.id', 'data_keys.kek_provider', 'data_keys.kek_id', 'data_keys.kek_version', 'data_keys.wrapped_key'])
      .where('contacts.lookup_index', '=', lookup)
      .executeTakeFirst();
    return row ? { id: row.contact_id, dataKey: await keys.openDataKey(row, row.contact_id) } : null;
  }

  function encryptContactField(contact: ResolvedContact, column: string, value: unknown): Buffer {
    const context: EnvelopeContext = { table: 'contacts', column, rowId: contact.id, contactId: contact.id };
    return typeof value === 'string'
      ? encryptText(contact.dataKey.key, contact.dataKey.keyInfo, context, value)
      : encryptJson(contact.dataKey.key, contact.dataKey.keyInfo, context, value);
  }

  async function storeMessage(batch: BatchState, event: InboundMessageEvent): Promise<boolean> {
    const contact = await batch.resolveContact(event.from);
    const id = randomUUID();
    const context = (column: string): EnvelopeContext => ({ table: 'messages', column, rowId: id, contactId: contact.id });
    const { key, keyInfo } = contact.dataKey;
    const inserted = await batch.trx
      .insertInto('messages')
      .values({
        id,
        wamid_index: index.messageId(event.wamid),
        contact_id: contact.id,
        direction: 'inbound',
        phone_number_id: event.phoneNumberId,
        type: event.type,
        wamid_enc: encryptText(key, keyInfo, context('wamid'), event.wamid),
        content_enc: encryptJson(key, keyInfo, context('content'), event.content),
        sent_at: event.timestampMs,
        received_at: clock.now(),
      })
      .onConflict((conflict) => conflict.column('wamid_index').doNothing())
      .executeTakeFirst();
    const isStored = Number(inserted.numInsertedOrUpdatedRows ?? 0n) > 0;
    if (isStored) batch.noteInbound(contact, event.timestampMs, event.profileName === null ? null : { name: event.profileName });
    return isStored;
  }

  async function storeStatus(batch: BatchState, event: StatusEvent): Promise<boolean> {
    const contact = event.recipientId ? await batch.resolveContact(event.recipientId) : null;
    const dataKey = contact ? contact.dataKey : await keys.getSystemKey(batch.trx);
    const contactId = contact?.id ?? '';
    const wamidIndex = index.messageId(event.wamid);
    const historyId = randomUUID();
    const inserted = await batch.trx
      .insertInto('status_events')
      .values({
        id: historyId,
        wamid_index: wamidIndex,
        status: event.status,
        contact_id: contact?.id ?? null,
        status_at: event.timestampMs,
        details_enc: encryptJson(dataKey.key, dataKey.keyInfo, { table: 'status_events', column: 'details', rowId: historyId, contactId }, event.details),
        received_at: clock.now(),
      })
      .onConflict((conflict) => conflict.columns(['wamid_index', 'status']).doNothing())
      .executeTakeFirst();
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) === 0) return false;

    // The current status only moves up; a late "delivered" never overwrites "read", and "failed" is final.
    const rank = rankStatus(event.status);
    const currentContext: EnvelopeContext = { table: 'message_statuses', column: 'details', rowId: wamidIndex.toString('hex'), contactId };
    await batch.trx
      .insertInto('message_statuses')
      .values({
        wamid_index: wamidIndex,
        contact_id: contact?.id ?? null,
        status: event.status,
        status_rank: rank,
        status_at: event.timestampMs,
        details_enc: encryptJson(dataKey.key, dataKey.keyInfo, currentContext, event.details),
        updated_at: clock.now(),
      })
      .onConflict((conflict) =>
        conflict
          .column('wamid_index')
          .doUpdateSet((eb) => ({
            status: eb.ref('excluded.status'),
            status_rank: eb.ref('excluded.status_rank'),
            status_at: eb.ref('excluded.status_at'),
            details_enc: eb.ref('excluded.details_enc'),
            updated_at: eb.ref('excluded.updated_at'),
          }))
          .where('message_statuses.status_rank', '<', rank),
      )
      .execute();
    return true;
  }

  async function storeAccountEvent(batch: BatchState, event: AccountEvent): Promise<boolean> {
    const contact = event.contactWaId ? await batch.resolveContact(event.contactWaId) : null;
    const dataKey = contact ? contact.dataKey : await keys.getSystemKey(batch.trx);
    const id = randomUUID();
    const dedupe = index.eventKey(Buffer.from(canonicalJson({ wabaId: event.wabaId, field: event.field, value: event.value })));
    const context: EnvelopeContext = { table: 'account_events', column: 'value', rowId: id, contactId: contact?.id ?? '' };
    const inserted = await batch.trx
      .insertInto('account_events')
      .values({
        id,
        dedupe_index: dedupe,
        waba_id: event.wabaId,
        field: event.field,
        contact_id: contact?.id ?? null,
        value_enc: encryptJson(dataKey.key, dataKey.keyInfo, context, event.value),
        received_at: clock.now(),
      })
      .onConflict((conflict) => conflict.column('dedupe_index').doNothing())
      .executeTakeFirst();
    return Number(inserted.numInsertedOrUpdatedRows ?? 0n) > 0;
  }

  return { storeEvents };
}

export type EventStore = ReturnType<typeof createEventStore>;

function isPhoneLike(customerId: string): boolean {
  return /^\+?[1-9]\d{5,14}$/.test(customerId);
}
