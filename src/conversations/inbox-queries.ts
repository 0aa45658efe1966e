import type { Db } from '../db/database.js';
import { WINDOW_SAFETY_MARGIN_MS } from '../outbound/send-service.js';
import { CUSTOMER_WINDOW_MS, isWindowOpen } from './customer-window.js';
import { pseudonymOf } from './inbox-access.js';
import { takeTimePage } from './inbox-paging.js';
import type { TimePage } from './inbox-paging.js';
import type { ConversationSummary } from './inbox-schemas.js';

/**
 * A conversation as the list shows it, from plaintext columns only: times, counts, assignment.
 * Nothing here is decrypted, so reading it needs no audit entry.
 */
export interface ConversationRow {
  id: string;
  firstSeenAt: number;
  lastInboundAt: number | null;
  inboundCount: number;
  lastOutboundAt: number | null;
  outboundCount: number;
  lastMessageAt: number | null;
  assignedUserId: string | null;
  assigneeName: string | null;
}

export type ConversationFilter = 'all' | 'mine' | 'unassigned';

export interface ConversationListQuery {
  /** `mine` and `unassigned` are relative to this user. */
  userId: string;
  filter: ConversationFilter;
  before: number | null;
  limit: number;
}

/** One conversation, or null when the contact does not exist. */
export async function findConversationRow(db: Db, contactId: string): Promise<ConversationRow | null> {
  const row = await selectConversations(db, [contactId]).executeTakeFirst();
  return row ? toConversationRow(row) : null;
}

/**
 * Conversations with at least one message, latest activity first. Contacts that never exchanged a
 * message (a status or an account event about them) are not listed; they can still be opened by id.
 */
export async function listConversationRows(db: Db, query: ConversationListQuery): Promise<TimePage<ConversationRow>> {
  const filtered = () => {
    let builder = selectConversations(db, null).where('last_message_at', 'is not', null);
    if (query.filter === 'mine') builder = builder.where('assigned_user_id', '=', query.userId);
    if (query.filter === 'unassigned') builder = builder.where('assigned_user_id', 'is', null);
    return builder.orderBy('last_message_at', 'desc').orderBy('id', 'desc');
  };
  const before = query.before;
  const candidates = await (before === null ? filtered() : filtered().where('last_message_at', '<', before)).limit(query.limit + 1).execute();
  const page = await takeTimePage(candidates, query.limit, (row) => Number(row.last_message_at), (time) => filtered().where('last_message_at', '=', time).execute());
  return { items: page.items.map(toConversationRow), nextBefore: page.nextBefore };
}

/** The contacts among these whose latest marketing consent event is an opt-out (the consent ledger; STOP). */
export async function findOptedOutContacts(db: Db, contactIds: readonly string[]): Promise<Set<string>> {
  if (contactIds.length === 0) return new Set();
  const events = await db
    .selectFrom('consent_events')
    .select(['contact_id', 'action', 'occurred_at', 'recorded_at'])
    .where('contact_id', 'in', [...contactIds])
    .where('purpose', '=', 'marketing')
    .execute();
  const latest = new Map<string, (typeof events)[number]>();
  for (const event of events) {
    const current = latest.get(event.contact_id);
    // The order findCurrentConsent uses: occurred_at, then recorded_at.
    if (!current || event.occurred_at > current.occurred_at || (event.occurred_at === current.occurred_at && event.recorded_at > current.recorded_at)) {
      latest.set(event.contact_id, event);
    }
  }
  return new Set([...latest.values()].filter((event) => event.action === 'opt-out').map((event) => event.contact_id));
}

/** The summary of each row (same order), with the opt-out state read for all of them at once. */
export async function summariseConversations(db: Db, rows: readonly ConversationRow[], now: number): Promise<ConversationSummary[]> {
  const optedOut = await findOptedOutContacts(db, rows.map((row) => row.id));
  return rows.map((row) => toConversationSummary(row, { isOptedOut: optedOut.has(row.id), now }));
}

export function toConversationSummary(row: ConversationRow, { isOptedOut, now }: { isOptedOut: boolean; now: number }): ConversationSummary {
  const isOutboundLatest = row.lastOutboundAt !== null && (row.lastInboundAt === null || row.lastOutboundAt > row.lastInboundAt);
  return {
    id: row.id,
    pseudonym: pseudonymOf(row.id),
    assignedTo: row.assignedUserId === null ? null : { id: row.assignedUserId, displayName: row.assigneeName ?? 'Former user' },
    lastMessageAt: row.lastMessageAt,
    lastInboundAt: row.lastInboundAt,
    lastDirection: row.lastMessageAt === null ? null : isOutboundLatest ? 'outbound' : 'inbound',
    messageCount: row.inboundCount + row.outboundCount,
    window: {
      // Open means a reply is accepted now: the send path keeps the same margin for it to reach Meta.
      isOpen: isWindowOpen(row.lastInboundAt, now, WINDOW_SAFETY_MARGIN_MS),
      closesAt: row.lastInboundAt === null ? null : row.lastInboundAt + CUSTOMER_WINDOW_MS,
    },
    optedOut: isOptedOut,
  };
}

/**
 * Every contact with its message times and counts and its assignment, as one derived table, so the
 * list can filter and sort on the computed latest time. `contactIds` narrows the aggregates too
 * (one conversation reads its own rows, not everyone's). The `messages` table holds what customers
 * sent; what the business sends lives in `outbound_messages`, timed by when it was queued.
 */
function selectConversations(db: Db, contactIds: readonly string[] | null) {
  const narrowed = contactIds === null ? null : [...contactIds];
  const inbound = db
    .selectFrom('messages')
    .where('direction', '=', 'inbound')
    .$if(narrowed !== null, (builder) => builder.where('contact_id', 'in', narrowed!))
    .select((eb) => ['contact_id', eb.fn.max('sent_at').as('last_at'), eb.fn.countAll<number>().as('message_count')])
    .groupBy('contact_id');
  const outbound = db
    .selectFrom('outbound_messages')
    .$if(narrowed !== null, (builder) => builder.where('contact_id', 'in', narrowed!))
    .select((eb) => ['contact_id', eb.fn.max('created_at').as('last_at'), eb.fn.countAll<number>().as('message_count')])
    .groupBy('contact_id');
  const conversations = db
    .selectFrom('contacts')
    .leftJoin(inbound.as('inbound'), 'inbound.contact_id', 'contacts.id')
    .leftJoin(outbound.as('outbound'), 'outbound.contact_id', 'contacts.id')
    .leftJoin('conversation_assignments', 'conversation_assignments.contact_id', 'contacts.id')
    .leftJoin('users', 'users.id', 'conversation_assignments.assigned_user_id')
    .$if(narrowed !== null, (builder) => builder.where('contacts.id', 'in', narrowed!))
    .select((eb) => [
      'contacts.id as id',
      'contacts.created_at as first_seen_at',
      'inbound.last_at as last_inbound_at',
      'inbound.message_count as inbound_count',
      'outbound.last_at as last_outbound_at',
      'outbound.message_count as outbound_count',
      'conversation_assignments.assigned_user_id as assigned_user_id',
      'users.display_name as assignee_name',
      // The later of the two (greatest() ignores NULLs on PostgreSQL but SQLite's max() does not).
      eb
        .case()
        .when('outbound.last_at', 'is', null)
        .then(eb.ref('inbound.last_at'))
        .when('inbound.last_at', 'is', null)
        .then(eb.ref('outbound.last_at'))
        .when(eb.ref('outbound.last_at'), '>', eb.ref('inbound.last_at'))
        .then(eb.ref('outbound.last_at'))
        .else(eb.ref('inbound.last_at'))
        .end()
        .as('last_message_at'),
    ]);
  return db.selectFrom(conversations.as('conversation')).selectAll();
}

type SelectedConversation = Awaited<ReturnType<ReturnType<typeof selectConversations>['execute']>>[number];

function toConversationRow(row: SelectedConversation): ConversationRow {
  return {
    id: row.id,
    firstSeenAt: Number(row.first_seen_at),
    lastInboundAt: toTime(row.last_inbound_at),
    inboundCount: Number(row.inbound_count ?? 0),
    lastOutboundAt: toTime(row.last_outbound_at),
    outboundCount: Number(row.outbound_count ?? 0),
    lastMessageAt: toTime(row.last_message_at),
    assignedUserId: row.assigned_user_id,
    assigneeName: row.assignee_name,
  };
}

function toTime(value: number | string | bigint | null | undefined): number | null {
  return value === null || value === undefined ? null : Number(value);
}
