import type { AuditLog } from '../audit/audit-log.js';
import type { Clock } from '../clock.js';
import type { BlindIndex } from '../crypto/blind-index.js';
import type { KeyStore } from '../crypto/key-store.js';
import type { Db } from '../db/database.js';
import { AppError } from '../errors.js';
import type { SendService } from '../outbound/send-service.js';
import { appendWithAction, conversationNotFound, inboxEntry, isWithinReach, pseudonymOf } from './inbox-access.js';
import type { InboxCaller } from './inbox-access.js';
import { findConsentStates, findSealedContact, openContactIdentity, openContactKey } from './inbox-contact.js';
import type { SealedContact } from './inbox-contact.js';
import { renderConversationExport } from './inbox-export.js';
import type { ExportFormat, RenderedExport } from './inbox-export.js';
import { findConversationRow, listConversationRows, summariseConversations } from './inbox-queries.js';
import type { ConversationFilter, ConversationRow } from './inbox-queries.js';
import type { ConversationSummary } from './inbox-schemas.js';
import { findThreadPage, findWholeThread, openThreadMessages } from './inbox-thread.js';

export interface InboxServiceOptions {
  db: Db;
  keys: KeyStore;
  index: BlindIndex;
  clock: Clock;
  audit: Pick<AuditLog, 'auditedAccess' | 'appendInTransaction'>;
  sends: Pick<SendService, 'acceptReply'>;
}

/**
 * The inbox's reads and replies. Listing and summaries read plaintext columns only; every call that
 * decrypts (thread, contact, search, export) first commits exactly one audit entry through
 * `auditedAccess`, and produces no plaintext when that fails. Conversations out of the caller's
 * reach answer NOT_FOUND, like absent ones, and leave no entry.
 */
export function createInboxService({ db, keys, index, clock, audit, sends }: InboxServiceOptions) {
  async function listConversations(caller: InboxCaller, query: { filter: ConversationFilter; before: number | null; limit: number }) {
    // Roles limited to assigned conversations only ever list their own, whatever they ask for.
    const filter = caller.user.conversationAccess === 'all' ? query.filter : 'mine';
    const page = await listConversationRows(db, { ...query, filter, userId: caller.user.userId });
    return { conversations: await summariseConversations(db, page.items, clock.now()), nextBefore: page.nextBefore };
  }

  async function getConversation(caller: InboxCaller, contactId: string): Promise<ConversationSummary> {
    return summarise(await findReachableRow(caller, contactId));
  }

  async function openThread(caller: InboxCaller, contactId: string, page: { before: number | null; limit: number }) {
    const row = await findReachableRow(caller, contactId);
    const contact = await requireSealedContact(contactId);
    const thread = await findThreadPage(db, contactId, page);
    const entry = inboxEntry(caller, 'conversation.open', { type: 'conversation', id: contactId }, { messages: thread.items.length });
    const opened = await audit.auditedAccess(entry, async () => {
      const dataKey = await openContactKey(db, keys, contact);
      return { contact: openContactIdentity(contact, dataKey), messages: openThreadMessages(thread.items, dataKey, contactId) };
    });
    return { conversation: await summarise(row), ...opened, nextBefore: thread.nextBefore };
  }

  /** Finds a conversation by the customer's number (blind index, no decryption); the match itself is what the entry records. */
  async function searchByPhone(caller: InboxCaller, phone: string): Promise<{ conversation: ConversationSummary }> {
    // Throws INVALID_REQUEST for anything that is not a number in international form (never quoting it).
    const lookup = index.phone(phone);
    const match = await db.selectFrom('contacts').select('id').where('lookup_index', '=', lookup).executeTakeFirst();
    const row = match ? await findConversationRow(db, match.id) : null;
    if (!row || !isWithinReach(caller.user, row.assignedUserId)) throw new AppError('NOT_FOUND', 'No conversation you can open has that number.');
    const conversation = await summarise(row);
    return audit.auditedAccess(inboxEntry(caller, 'contact.search', { type: 'contact', id: row.id }), () => ({ conversation }));
  }

  async function viewContact(caller: InboxCaller, contactId: string) {
    const row = await findReachableRow(caller, contactId);
    const contact = await requireSealedContact(contactId);
    const consent = await findConsentStates(db, contactId);
    const identity = await audit.auditedAccess(inboxEntry(caller, 'contact.view', { type: 'contact', id: contactId }), async () =>
      openContactIdentity(contact, await openContactKey(db, keys, contact)),
    );
    return {
      id: contactId,
      pseudonym: pseudonymOf(contactId),
      ...identity,
      firstSeenAt: row.firstSeenAt,
      lastInboundAt: row.lastInboundAt,
      consent,
      messageCounts: { inbound: row.inboundCount, outbound: row.outboundCount },
    };
  }

  async function exportConversation(caller: InboxCaller, contactId: string, format: ExportFormat): Promise<RenderedExport> {
    const row = await findReachableRow(caller, contactId);
    const contact = await requireSealedContact(contactId);
    const rows = await findWholeThread(db, contactId);
    const conversation = await summarise(row);
    const entry = inboxEntry(caller, 'conversation.export', { type: 'conversation', id: contactId }, { format, messages: rows.length });
    return audit.auditedAccess(entry, async () => {
      const dataKey = await openContactKey(db, keys, contact);
      const exported = { exportedAt: clock.now(), conversation, contact: openContactIdentity(contact, dataKey), messages: openThreadMessages(rows, dataKey, contactId) };
      return renderConversationExport(exported, format);
    });
  }

  /**
   * A reply written by the signed-in user, through the send service's checks (window, opt-out); the
   * `conversation.reply` entry commits with the queued message, so neither exists without the other.
   */
  async function reply(caller: InboxCaller, contactId: string, text: string, idempotencyKey: string | null): Promise<{ id: string; isReplay: boolean }> {
    await findReachableRow(caller, contactId, 'conversations.reply');
    return sends.acceptReply({
      contactId,
      text,
      principal: { type: 'user', id: caller.user.userId, name: caller.user.displayName },
      idempotencyKey,
      recordWithMessage: (trx, messageId) =>
        appendWithAction(audit, trx, { ...inboxEntry(caller, 'conversation.reply', { type: 'conversation', id: contactId }, { messageId }), outcome: 'success' }),
    });
  }

  async function findReachableRow(caller: InboxCaller, contactId: string, permission: 'conversations.read' | 'conversations.reply' = 'conversations.read'): Promise<ConversationRow> {
    const row = await findConversationRow(db, contactId);
    if (!row || !isWithinReach(caller.user, row.assignedUserId, permission)) throw conversationNotFound();
    return row;
  }

  async function requireSealedContact(contactId: string): Promise<SealedContact> {
    const contact = await findSealedContact(db, contactId);
    if (!contact) throw conversationNotFound();
    return contact;
  }

  async function summarise(row: ConversationRow): Promise<ConversationSummary> {
    const [summary] = await summariseConversations(db, [row], clock.now());
    return summary!;
  }

  return { listConversations, getConversation, openThread, searchByPhone, viewContact, exportConversation, reply };
}

export type InboxService = ReturnType<typeof createInboxService>;
