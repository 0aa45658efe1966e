import { createHash, randomUUID } from 'node:crypto';
import type { Clock } from '../clock.js';
import { canonicalJson } from '../conversations/canonical-json.js';
import { createContactResolver } from '../conversations/contact-resolver.js';
import { findLastInboundAt, isWindowOpen } from '../conversations/customer-window.js';
import type { BlindIndex } from '../crypto/blind-index.js';
import { encryptJson } from '../crypto/envelope.js';
import type { DataKey, KeyStore } from '../crypto/key-store.js';
import type { Database } from '../db/database.js';
import { isTransientConflict } from '../db/database-errors.js';
import type { Trx } from '../db/group-commit-writer.js';
import { enqueueJob } from '../db/outbox-repository.js';
import { AppError } from '../errors.js';
import { findCurrentConsent } from '../privacy/consent-service.js';
import { describeBlockingFindings } from '../templates/finding.js';
import { lintSendParameters } from '../templates/template-linter.js';
import type { MessageStatusResponse, SendMessageRequest } from './send-request-schema.js';
import { toWaId } from './send-request-schema.js';
import type { TemplateCatalog } from './template-catalog.js';

export const SEND_MESSAGE_JOB = 'send-message';
/** A free-form message is refused when the window closes this soon: it must still reach Meta in time. */
export const WINDOW_SAFETY_MARGIN_MS = 60_000;
const NON_MARKETING_CATEGORIES = new Set(['UTILITY', 'AUTHENTICATION']);
/** Far above what Meta accepts in one template (a 1,024-character body, a short header and buttons). */
const MAX_TEMPLATE_PARAMETERS_CHARS = 8_192;

/** Who asks Rampart to send: a service's API key, or a signed-in user answering in the dashboard's inbox. */
export interface SendPrincipal {
  type: 'api-key' | 'user';
  id: string;
  name: string;
}

/** Work that must commit with the queued message or not at all (the inbox's audit entry of a reply). */
export type RecordWithMessage = (trx: Trx, messageId: string) => Promise<void>;

export interface SendServiceOptions {
  database: Database;
  keys: KeyStore;
  index: BlindIndex;
  clock: Clock;
  templates: TemplateCatalog;
  /** null: sending is not configured; every send is refused with SENDING_NOT_CONFIGURED. */
  phoneNumberId: string | null;
  /** Links in template parameters must be https on these domains (the template linter's rule). */
  verifiedDomains: readonly string[];
  /** Told after a send is committed, so the worker picks it up at once. */
  onQueued(): void;
}

/** One send, whoever asked for it: what to store, who receives it, and what a repeated call must match. */
interface SendOrder {
  message: QueuedMessage;
  /** What an Idempotency-Key is bound to: the same key with other content is refused. */
  idempotentContent: unknown;
  findRecipient(trx: Trx): Promise<{ id: string; dataKey: DataKey }>;
  principal: SendPrincipal;
  idempotencyKey: string | null;
  recordWithMessage?: RecordWithMessage;
}

/**
 * Accepting a send: checks that can be made before any network call (24-hour window, opt-out,
 * template approval), then stores the encrypted message and its outbox job in one transaction.
 * The caller's 202 means "durably queued", never "sent".
 */
export function createSendService(options: SendServiceOptions) {
  const { database, keys, index, clock, templates } = options;

  /** The send API: the Cloud API's message shape with `to`, from a service (or any principal). */
  async function acceptMessage(input: {
    request: SendMessageRequest;
    principal: SendPrincipal;
    idempotencyKey: string | null;
  }): Promise<{ id: string; isReplay: boolean }> {
    assertSendingConfigured();
    const { request } = input;
    const template = request.type === 'template' ? await checkTemplate(request.template.name, request.template.language.code) : null;
    if (request.type === 'template') assertParametersClean(template?.category ?? null, request.template);
    // The number lives with the contact (encrypted once); the stored request omits it.
    const message: Partial<SendMessageRequest> = { ...request };
    delete message.to;
    return accept(
      {
        message: message as QueuedMessage,
        idempotentContent: request,
        findRecipient: (trx) => resolveRecipient(trx, request.to),
        principal: input.principal,
        idempotencyKey: input.idempotencyKey,
      },
      template,
    );
  }

  /**
   * A text reply to a known contact (the dashboard's inbox): addressed by contact id, so the
   * customer's number is never decrypted to send it. Same window and opt-out checks.
   */
  async function acceptReply(input: {
    contactId: string;
    text: string;
    principal: SendPrincipal;
    idempotencyKey: string | null;
    recordWithMessage?: RecordWithMessage;
  }): Promise<{ id: string; isReplay: boolean }> {
    assertSendingConfigured();
    const message: QueuedMessage = { type: 'text', text: { body: input.text } };
    return accept(
      {
        message,
        idempotentContent: { contactId: input.contactId, message },
        findRecipient: (trx) => findKnownContact(trx, input.contactId),
        principal: input.principal,
        idempotencyKey: input.idempotencyKey,
        recordWithMessage: input.recordWithMessage,
      },
      null,
    );
  }

  function assertSendingConfigured(): void {
    if (options.phoneNumberId === null) {
      throw new AppError('SENDING_NOT_CONFIGURED', 'Sending is not configured: set WHATSAPP_ACCESS_TOKEN and WHATSAPP_PHONE_NUMBER_ID.');
    }
  }

  async function accept(order: SendOrder, template: { category: string } | null): Promise<{ id: string; isReplay: boolean }> {
    const attempt = () => database.db.transaction().execute((trx) => storeMessage(trx, order, template));
    let result: { id: string; isReplay: boolean };
    try {
      result = await attempt();
    } catch (error) {
      // Two calls with one idempotency key at once: the loser finds the winner's answer.
      if (!order.idempotencyKey || !isTransientConflict(error)) throw error;
      result = await attempt();
    }
    if (!result.isReplay) options.onQueued();
    return result;
  }

  async function storeMessage(trx: Trx, order: SendOrder, template: { category: string } | null): Promise<{ id: string; isReplay: boolean }> {
    const { message, principal, idempotencyKey } = order;
    const scope = idempotencyScopeOf(principal);
    const digest = createHash('sha256').update(canonicalJson(order.idempotentContent)).digest();
    const keyHash = idempotencyKey === null ? null : createHash('sha256').update(idempotencyKey, 'utf8').digest();
    if (keyHash) {
      const existing = await trx.selectFrom('idempotency_keys').selectAll().where('scope', '=', scope).where('key_hash', '=', keyHash).executeTakeFirst();
      if (existing) {
        if (!existing.request_digest.equals(digest)) throw new AppError('IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was used with a different request; use a new key.');
        return { id: existing.resource_id, isReplay: true };
      }
    }
    const contact = await order.findRecipient(trx);
    const now = clock.now();
    if (message.type !== 'template' && !isWindowOpen(await findLastInboundAt(trx, contact.id), now, WINDOW_SAFETY_MARGIN_MS)) {
      throw new AppError('WINDOW_CLOSED', 'The customer has not written in the last 24 hours; only a template message may be sent (Meta would refuse with 131047).');
    }
    if (isHeldToOptOut(message, template) && (await findCurrentConsent(trx, contact.id, 'marketing')) === 'opt-out') {
      throw new AppError('RECIPIENT_OPTED_OUT', 'The recipient opted out of marketing messages; only utility or authentication templates may be sent.');
    }
    const id = await queueOutboundMessage(trx, {
      contact,
      phoneNumberId: options.phoneNumberId!,
      message,
      apiKeyId: principal.type === 'api-key' ? principal.id : null,
      userId: principal.type === 'user' ? principal.id : null,
      now,
    });
    if (keyHash) {
      await trx.insertInto('idempotency_keys').values({ scope, key_hash: keyHash, request_digest: digest, resource_id: id, created_at: now }).execute();
    }
    await order.recordWithMessage?.(trx, id);
    return { id, isReplay: false };
  }

  async function resolveRecipient(trx: Trx, to: string): Promise<{ id: string; dataKey: DataKey }> {
    const waId = toWaId(to);
    if (waId === null) throw new AppError('INVALID_REQUEST', 'to: must be a phone number in international form.');
    const contacts = createContactResolver({ trx, keys, index, clock });
    await contacts.resolve([waId]);
    return contacts.get(waId);
  }

  async function findKnownContact(trx: Trx, contactId: string): Promise<{ id: string; dataKey: DataKey }> {
    const row = await trx.selectFrom('contacts').select(['id', 'data_key_id']).where('id', '=', contactId).executeTakeFirst();
    if (!row) throw new AppError('NOT_FOUND', 'No conversation has that id.');
    return { id: row.id, dataKey: await keys.getDataKey(trx, row.data_key_id, row.id) };
  }

  /**
   * The values filled into a template, linted before anything is stored: no card numbers, national
   * ids, credentials, health terms outside utility templates, links off the verified domains.
   * The message names each finding and its fix, never the value.
   */
  function assertParametersClean(category: string | null, parameters: unknown): void {
    // Linting is linear but not free (phone-number search above all): bound what one request costs.
    if (JSON.stringify(parameters).length > MAX_TEMPLATE_PARAMETERS_CHARS) {
      throw new AppError('TEMPLATE_CONTENT_REFUSED', `The template's parameters are longer than ${MAX_TEMPLATE_PARAMETERS_CHARS} characters; a WhatsApp template body holds 1,024.`);
    }
    const refusal = describeBlockingFindings(lintSendParameters(category, parameters, { verifiedDomains: options.verifiedDomains }).findings);
    if (refusal) throw new AppError('TEMPLATE_CONTENT_REFUSED', refusal);
  }

  /** Known templates must be approved; unknown ones (catalog unavailable) go to Meta, which decides. */
  async function checkTemplate(name: string, language: string): Promise<{ category: string } | null> {
    const found = await templates.findTemplate(name, language);
    if (found && found.status !== 'APPROVED') {
      throw new AppError('TEMPLATE_NOT_APPROVED', `Template ${name} (${language}) is ${found.status.toLowerCase()}, not approved.`);
    }
    if (!found && templates.isAvailable()) {
      throw new AppError('TEMPLATE_NOT_APPROVED', `Template ${name} does not exist in ${language} in this business account.`);
    }
    return found;
  }

  async function findMessageStatus(id: string): Promise<MessageStatusResponse | null> {
    const row = await database.db
      .selectFrom('outbound_messages')
      .leftJoin('message_statuses', 'message_statuses.wamid_index', 'outbound_messages.wamid_index')
      .select([
        'outbound_messages.id',
        'outbound_messages.type',
        'outbound_messages.template_name',
        'outbound_messages.state',
        'outbound_messages.error_code',
        'outbound_messages.error_reason',
        'outbound_messages.created_at',
        'outbound_messages.sent_at',
        'message_statuses.status',
        'message_statuses.status_at',
      ])
      .where('outbound_messages.id', '=', id)
      .executeTakeFirst();
    if (!row) return null;
    // After Meta accepted it, the status webhooks tell the rest (monotonic: see message_statuses).
    const status = row.state === 'sent' ? ((row.status ?? 'sent') as MessageStatusResponse['status']) : row.state;
    const error = status === 'failed' ? { code: row.error_code, reason: row.error_reason ?? 'Meta reported the message as failed' } : null;
    return {
      id: row.id,
      type: row.type,
      template: row.template_name,
      status,
      error,
      createdAt: new Date(row.created_at).toISOString(),
      sentAt: row.sent_at === null ? null : new Date(row.sent_at).toISOString(),
      statusAt: row.status_at === null || row.status_at === undefined ? null : new Date(row.status_at).toISOString(),
    };
  }

  return { acceptMessage, acceptReply, findMessageStatus };
}

export type SendService = ReturnType<typeof createSendService>;

/** A message as stored and sent: the Graph API body without the recipient. */
export type QueuedMessage = { type: string; template?: { name: string } } & Record<string, unknown>;

/**
 * Stores an outbound message (sealed under the contact's key) and its send job in the caller's
 * transaction; for the send API and for Rampart's own replies (consent confirmations, the bot).
 */
export async function queueOutboundMessage(
  trx: Trx,
  input: {
    contact: { id: string; dataKey: DataKey };
    phoneNumberId: string;
    message: QueuedMessage;
    /** The service's API key that asked for it. */
    apiKeyId: string | null;
    /** The signed-in user who wrote it in the inbox. Neither: Rampart's own message. */
    userId?: string | null;
    now: number;
  },
): Promise<string> {
  const { contact, message, now } = input;
  const id = randomUUID();
  await trx
    .insertInto('outbound_messages')
    .values({
      id,
      contact_id: contact.id,
      phone_number_id: input.phoneNumberId,
      type: message.type,
      template_name: message.type === 'template' ? (message.template?.name ?? null) : null,
      content_enc: encryptJson(contact.dataKey.key, contact.dataKey.keyInfo, contentContext(id, contact.id), message),
      state: 'queued',
      wamid_index: null,
      wamid_enc: null,
      error_code: null,
      error_reason: null,
      api_key_id: input.apiKeyId,
      sent_by_user_id: input.userId ?? null,
      created_at: now,
      sent_at: null,
      updated_at: now,
    })
    .execute();
  await enqueueJob(trx, { kind: SEND_MESSAGE_JOB, subjectId: id, runAt: now });
  return id;
}

export function contentContext(messageId: string, contactId: string) {
  return { table: 'outbound_messages', column: 'content', rowId: messageId, contactId };
}

export function wamidContext(messageId: string, contactId: string) {
  return { table: 'outbound_messages', column: 'wamid', rowId: messageId, contactId };
}

/**
 * Only marketing is held to the customer's opt-out (STOP). Free-form messages can only answer a
 * customer who wrote in the last 24 hours (service, not marketing), whoever types them: a service
 * or a person in the inbox.
 */
function isHeldToOptOut(message: QueuedMessage, template: { category: string } | null): boolean {
  return message.type === 'template' && !NON_MARKETING_CATEGORIES.has(template?.category ?? '');
}

/** Idempotency keys are per caller. API keys keep the scope they always had (their id), so stored keys still match. */
function idempotencyScopeOf(principal: SendPrincipal): string {
  return principal.type === 'api-key' ? principal.id : `user:${principal.id}`;
}
