import { randomUUID } from 'node:crypto';
import type { Clock } from '../clock.js';
import type { BlindIndex } from '../crypto/blind-index.js';
import { encryptJson } from '../crypto/envelope.js';
import type { EnvelopeContext } from '../crypto/envelope.js';
import type { DataKey, KeyStore } from '../crypto/key-store.js';
import { createCompiledQueryCache } from '../db/compiled-query-cache.js';
import type { Trx } from '../db/group-commit-writer.js';
import type { AccountEvent, InboundMessageEvent, IngressEvent, StatusEvent } from '../ingress/ingress-event.js';
import { canonicalJson } from './canonical-json.js';
import { createContactResolver } from './contact-resolver.js';
import type { ResolvedContact } from './contact-resolver.js';
import { rankStatus } from './status-rank.js';

export interface StoreResult {
  stored: number;
  duplicates: number;
}

/** What a batch stored for the first time (duplicates excluded), for reactions in the same transaction. */
export interface StoredBatch {
  messages: { id: string; contact: ResolvedContact; event: InboundMessageEvent }[];
  accountEvents: { id: string; contact: ResolvedContact | null; event: AccountEvent }[];
  /** New rows of the status history (a repeated status is not new). */
  statuses: { id: string; contactId: string | null; event: StatusEvent }[];
  /** The blind index of a message id, to find rows about it without decrypting. */
  wamidIndexOf(event: { wamid: string }): Buffer;
}

/** Work that must commit with the events it reacts to (consent changes, forwarding jobs). */
export type StoreReaction = (trx: Trx, stored: StoredBatch) => Promise<void>;

/** Rows per INSERT: well under SQLite's bound-parameter limit, large enough to amortise query building. */
const ROWS_PER_INSERT = 200;

interface Located<T> {
  request: number;
  event: T;
}

/**
 * The write path of the ingress: turns the normalised events of a batch of webhooks into
 * encrypted rows inside the caller's transaction, with a handful of multi-row statements per
 * batch rather than several per event. Duplicates (same message id, same status of a message,
 * same account event) are recognised by keyed blind indexes and stored once.
 */
export function createEventStore({ keys, index, clock, reactions = [] }: { keys: KeyStore; index: BlindIndex; clock: Clock; reactions?: readonly StoreReaction[] }) {
  const queries = createCompiledQueryCache();

  async function storeBatch(trx: Trx, requests: readonly (readonly IngressEvent[])[]): Promise<StoreResult[]> {
    const results = requests.map((events) => ({ stored: 0, duplicates: events.length }));
    const countStored = (request: number) => {
      results[request]!.stored += 1;
      results[request]!.duplicates -= 1;
    };
    const messages: Located<InboundMessageEvent>[] = [];
    const statuses: Located<StatusEvent>[] = [];
    const accountEvents: Located<AccountEvent>[] = [];
    requests.forEach((events, request) => {
      for (const event of events) {
        if (event.kind === 'message') messages.push({ request, event });
        else if (event.kind === 'status') statuses.push({ request, event });
        else accountEvents.push({ request, event });
      }
    });
    const contacts = createContactResolver({ trx, keys, index, clock });
    // Contacts first, in one pass: every later statement needs their ids and data keys.
    await contacts.resolve([
      ...messages.map(({ event }) => event.from),
      ...statuses.flatMap(({ event }) => (event.recipientId ? [event.recipientId] : [])),
      ...accountEvents.flatMap(({ event }) => (event.contactWaId ? [event.contactWaId] : [])),
    ]);

    const storedMessages = await storeMessages(trx, messages, contacts);
    storedMessages.forEach(({ request }) => countStored(request));
    const storedStatuses = await storeStatuses(trx, statuses, contacts);
    storedStatuses.forEach(({ request }) => countStored(request));
    const storedAccountEvents = await storeAccountEvents(trx, accountEvents, contacts);
    storedAccountEvents.forEach(({ request }) => countStored(request));
    await contacts.updateProfiles(messages.map(({ event }) => ({ customerId: event.from, profileName: event.profileName })));
    const stored: StoredBatch = { messages: storedMessages, accountEvents: storedAccountEvents, statuses: storedStatuses, wamidIndexOf: (event) => index.messageId(event.wamid) };
    for (const react of reactions) await react(trx, stored);
    return results;
  }

  /** Inserts new messages; returns each one stored with its request (duplicates are skipped). */
  async function storeMessages(trx: Trx, located: Located<InboundMessageEvent>[], contacts: ContactLookup) {
    const byIndex = new Map<string, { request: number; id: string; contact: ResolvedContact; event: InboundMessageEvent }>();
    const rows = located.map(({ request, event }) => {
      const contact = contacts.get(event.from);
      const id = randomUUID();
      const wamidIndex = index.messageId(event.wamid);
      byIndex.set(wamidIndex.toString('hex'), { request, id, contact, event });
      const context: EnvelopeContext = { table: 'messages', column: 'content', rowId: id, contactId: contact.id };
      return {
        id,
        wamid_index: wamidIndex,
        contact_id: contact.id,
        direction: 'inbound' as const,
        phone_number_id: event.phoneNumberId,
        type: event.type,
        content_enc: seal(contact.dataKey, context, { wamid: event.wamid, message: event.content }),
        sent_at: event.timestampMs,
        received_at: clock.now(),
      };
    });
    const stored: { request: number; id: string; contact: ResolvedContact; event: InboundMessageEvent }[] = [];
    for (const chunk of chunked(rows)) {
      const inserted = await queries.executeRows(trx, 'insert-messages', chunk, (values) =>
        trx
          .insertInto('messages')
          .values([...values])
          .onConflict((conflict) => conflict.column('wamid_index').doNothing())
          .returning('wamid_index'),
      );
      for (const row of inserted) stored.push(byIndex.get(row.wamid_index.toString('hex'))!);
    }
    return stored;
  }

  async function storeStatuses(trx: Trx, located: Located<StatusEvent>[], contacts: ContactLookup) {
    type FreshStatus = { request: number; id: string; event: StatusEvent; contactId: string | null; wamidIndex: Buffer };
    const systemKey = located.some(({ event }) => !event.recipientId) ? await keys.getSystemKey(trx) : null;
    const byHistoryKey = new Map<string, FreshStatus>();
    const rows = located.map(({ request, event }) => {
      const contact = event.recipientId ? contacts.get(event.recipientId) : null;
      const dataKey = contact ? contact.dataKey : systemKey!;
      const id = randomUUID();
      const wamidIndex = index.messageId(event.wamid);
      byHistoryKey.set(historyKey(wamidIndex, event.status), { request, id, event, contactId: contact?.id ?? null, wamidIndex });
      const context: EnvelopeContext = { table: 'status_events', column: 'details', rowId: id, contactId: contact?.id ?? '' };
      return {
        id,
        wamid_index: wamidIndex,
        status: event.status,
        contact_id: contact?.id ?? null,
        status_at: event.timestampMs,
        details_enc: seal(dataKey, context, event.details),
        received_at: clock.now(),
      };
    });
    const fresh: FreshStatus[] = [];
    for (const chunk of chunked(rows)) {
      const inserted = await queries.executeRows(trx, 'insert-status-events', chunk, (values) =>
        trx
          .insertInto('status_events')
          .values([...values])
          .onConflict((conflict) => conflict.columns(['wamid_index', 'status']).doNothing())
          .returning(['wamid_index', 'status']),
      );
      for (const row of inserted) fresh.push(byHistoryKey.get(historyKey(row.wamid_index, row.status))!);
    }
    await advanceCurrentStatuses(trx, fresh);
    return fresh;
  }

  /** The current status only moves up; a late "delivered" never overwrites "read", and "failed" is final. */
  async function advanceCurrentStatuses(trx: Trx, fresh: { event: StatusEvent; contactId: string | null; wamidIndex: Buffer }[]): Promise<void> {
    // One row per message, its highest new status: an upsert may touch a row only once per statement.
    const highest = new Map<string, (typeof fresh)[number]>();
    for (const candidate of fresh) {
      const key = candidate.wamidIndex.toString('hex');
      const current = highest.get(key);
      if (!current || rankStatus(candidate.event.status) > rankStatus(current.event.status)) highest.set(key, candidate);
    }
    const rows = [...highest.values()].map(({ event, contactId, wamidIndex }) => ({
      wamid_index: wamidIndex,
      contact_id: contactId,
      status: event.status,
      status_rank: rankStatus(event.status),
      status_at: event.timestampMs,
      updated_at: clock.now(),
    }));
    for (const chunk of chunked(rows)) {
      await queries.executeRows(trx, 'upsert-message-statuses', chunk, (values) =>
        trx
        .insertInto('message_statuses')
        .values([...values])
        .onConflict((conflict) =>
          conflict
            .column('wamid_index')
            .doUpdateSet((eb) => ({
              contact_id: eb.ref('excluded.contact_id'),
              status: eb.ref('excluded.status'),
              status_rank: eb.ref('excluded.status_rank'),
              status_at: eb.ref('excluded.status_at'),
              updated_at: eb.ref('excluded.updated_at'),
            }))
            .where('message_statuses.status_rank', '<', (eb) => eb.ref('excluded.status_rank')),
        ),
      );
    }
  }

  async function storeAccountEvents(trx: Trx, located: Located<AccountEvent>[], contacts: ContactLookup) {
    type StoredAccountEvent = { request: number; id: string; contact: ResolvedContact | null; event: AccountEvent };
    if (located.length === 0) return [];
    const systemKey = await keys.getSystemKey(trx);
    const byDedupe = new Map<string, StoredAccountEvent>();
    const rows = located.map(({ request, event }) => {
      const contact = event.contactWaId ? contacts.get(event.contactWaId) : null;
      const id = randomUUID();
      const dedupe = index.eventKey(Buffer.from(canonicalJson({ wabaId: event.wabaId, field: event.field, value: event.value })));
      byDedupe.set(dedupe.toString('hex'), { request, id, contact, event });
      const context: EnvelopeContext = { table: 'account_events', column: 'value', rowId: id, contactId: contact?.id ?? '' };
      return {
        id,
        dedupe_index: dedupe,
        waba_id: event.wabaId,
        field: event.field,
        contact_id: contact?.id ?? null,
        value_enc: seal(contact ? contact.dataKey : systemKey, context, event.value),
        received_at: clock.now(),
      };
    });
    const stored: StoredAccountEvent[] = [];
    for (const chunk of chunked(rows)) {
      const inserted = await queries.executeRows(trx, 'insert-account-events', chunk, (values) =>
        trx
          .insertInto('account_events')
          .values([...values])
          .onConflict((conflict) => conflict.column('dedupe_index').doNothing())
          .returning('dedupe_index'),
      );
      for (const row of inserted) stored.push(byDedupe.get(row.dedupe_index.toString('hex'))!);
    }
    return stored;
  }

  return { storeBatch };
}

export type EventStore = ReturnType<typeof createEventStore>;

type ContactLookup = { get(customerId: string): ResolvedContact };

function seal(dataKey: DataKey, context: EnvelopeContext, value: unknown): Buffer {
  return encryptJson(dataKey.key, dataKey.keyInfo, context, value);
}

function historyKey(wamidIndex: Buffer, status: string): string {
  return `${wamidIndex.toString('hex')}:${status}`;
}

function chunked<T>(rows: readonly T[]): T[][] {
  const chunks: T[][] = [];
  for (let start = 0; start < rows.length; start += ROWS_PER_INSERT) chunks.push(rows.slice(start, start + ROWS_PER_INSERT));
  return chunks;
}
