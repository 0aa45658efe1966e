import type { AccountEvent, InboundMessageEvent, IngressEvent, StatusEvent } from './ingress-event.js';
import type { KnownFieldChange, MessagesChangeValue, WebhookChange, WebhookMessage, WebhookPayload, WebhookStatus } from './webhook-schema.js';
import { unixSecondsToMs } from './schema-primitives.js';
import { isChangeOfField, knownMessageTypes } from './webhook-schema.js';

type WebhookContact = NonNullable<MessagesChangeValue['contacts']>[number];
type UserPreferencesValue = KnownFieldChange<'user_preferences'>['value'];

/**
 * Flattens a validated webhook payload into events, in payload order.
 *
 * Invariants: every message, status and change yields at least one event (nothing is dropped
 * silently), and an event carries customer data of at most one customer, so each can be
 * encrypted under that customer's key.
 */
export function normaliseWebhook(payload: WebhookPayload): IngressEvent[] {
  const events: IngressEvent[] = [];
  for (const entry of payload.entry) {
    for (const change of entry.changes) {
      for (const event of normaliseChange(entry.id, change)) events.push(event);
    }
  }
  return events;
}

function normaliseChange(wabaId: string, change: WebhookChange): IngressEvent[] {
  if (isChangeOfField(change, 'messages')) return normaliseMessagesValue(wabaId, change.value);
  if (isChangeOfField(change, 'user_preferences')) return normaliseUserPreferences(wabaId, change.value);
  return [accountEvent(wabaId, change.field, null, change.value)];
}

function normaliseMessagesValue(wabaId: string, value: MessagesChangeValue): IngressEvent[] {
  const phoneNumberId = value.metadata.phone_number_id;
  const contacts = value.contacts ?? [];
  const events: IngressEvent[] = [];
  for (const message of value.messages ?? []) {
    events.push(toInboundMessageEvent(wabaId, phoneNumberId, message, contacts));
  }
  for (const status of value.statuses ?? []) {
    events.push(toStatusEvent(wabaId, phoneNumberId, status));
  }
  if (value.errors !== undefined && value.errors.length > 0) {
    // Out-of-band errors concern the number, not a customer: keep customer records out of them.
    events.push(accountEvent(wabaId, 'messages.errors', null, omitKeys(value, ['messages', 'statuses', 'contacts'])));
  }
  if (events.length === 0) {
    events.push(accountEvent(wabaId, 'messages', null, value));
    return events;
  }
  // Keys Meta adds beside the ones above are kept too (without the customer records), not dropped.
  const extra = omitKeys(value, ['messaging_product', 'metadata', 'contacts', 'messages', 'statuses', 'errors']);
  const extraMetadata = omitKeys(value.metadata, ['display_phone_number', 'phone_number_id']);
  if (Object.keys(extra).length > 0 || Object.keys(extraMetadata).length > 0) {
    events.push(accountEvent(wabaId, 'messages.extra', null, { ...extra, metadata: value.metadata }));
  }
  return events;
}

function toInboundMessageEvent(
  wabaId: string,
  phoneNumberId: string,
  message: WebhookMessage,
  contacts: readonly WebhookContact[],
): InboundMessageEvent {
  const { from, id, timestamp, ...rest } = message;
  const contact = contacts.find(
    (candidate) =>
      (from !== undefined && candidate.wa_id === from) ||
      (message.from_user_id !== undefined && candidate.user_id === message.from_user_id),
  );
  const content: Record<string, unknown> = contact === undefined ? rest : { ...rest, contact };
  const isKnownType = knownMessageTypes.has(message.type) && message.type !== 'unknown';
  return {
    kind: 'message',
    wabaId,
    phoneNumberId,
    wamid: id,
    // The schema refuses a message with neither, so the empty fallback is unreachable.
    from: from ?? message.from_user_id ?? '',
    profileName: contact?.profile?.name ?? null,
    type: isKnownType ? message.type : 'unsupported',
    originalType: message.type,
    timestampMs: unixSecondsToMs(timestamp),
    content,
  };
}

function toStatusEvent(wabaId: string, phoneNumberId: string, status: WebhookStatus): StatusEvent {
  const { id, status: statusName, timestamp, recipient_id: recipientId, ...details } = status;
  return {
    kind: 'status',
    wabaId,
    phoneNumberId,
    wamid: id,
    status: statusName,
    recipientId: recipientId ?? status.recipient_user_id ?? null,
    timestampMs: unixSecondsToMs(timestamp),
    details,
  };
}

/** One event per user, each holding only that user's preference and contact record. */
function normaliseUserPreferences(wabaId: string, value: UserPreferencesValue): AccountEvent[] {
  const { user_preferences: preferences, contacts, ...shared } = value;
  if (preferences.length === 0) return [accountEvent(wabaId, 'user_preferences', null, value)];
  return preferences.map((preference) => {
    const matchingContacts = (contacts ?? []).filter(
      (contact) =>
        (preference.wa_id !== undefined && contact.wa_id === preference.wa_id) ||
        (preference.user_id !== undefined && contact.user_id === preference.user_id),
    );
    const perUserValue: Record<string, unknown> = { ...shared, user_preferences: [preference] };
    if (matchingContacts.length > 0) perUserValue['contacts'] = matchingContacts;
    return accountEvent(wabaId, 'user_preferences', preference.wa_id ?? preference.user_id ?? null, perUserValue);
  });
}

function accountEvent(
  wabaId: string,
  field: string,
  contactWaId: string | null,
  value: Record<string, unknown>,
): AccountEvent {
  return { kind: 'event', wabaId, field, contactWaId, value };
}

function omitKeys(value: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([key]) => !keys.includes(key)));
}
