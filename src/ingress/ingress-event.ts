/**
 * What ingress hands to the rest of Rampart: one event per inbound message, per status update,
 * and per other account-level change. Raw Cloud API field names survive inside `content`,
 * `details` and `value`, so nothing Meta sent is lost in normalisation.
 */
export type IngressEvent = InboundMessageEvent | StatusEvent | AccountEvent;

export interface InboundMessageEvent {
  kind: 'message';
  /** WhatsApp Business Account id (`entry[].id`). */
  wabaId: string;
  /** The business phone number the message was sent to (`metadata.phone_number_id`). */
  phoneNumberId: string;
  /** Meta's message id ("wamid.…"); the idempotency key for inbound messages. */
  wamid: string;
  /** The customer's wa_id, or their business-scoped user id when no wa_id is given. */
  from: string;
  profileName: string | null;
  /** A type this gateway knows, or 'unsupported'. */
  type: string;
  /** The `type` exactly as Meta sent it. */
  originalType: string;
  timestampMs: number;
  /**
   * The message object minus `from`, `id` and `timestamp`: the type-specific object, context,
   * referral, errors, unknown keys, and the matching `contacts[]` entry under `contact`.
   */
  content: Record<string, unknown>;
}

export interface StatusEvent {
  kind: 'status';
  wabaId: string;
  phoneNumberId: string;
  /** Id of the business's outbound message this status is about. */
  wamid: string;
  /** sent | delivered | read | failed | played | … (kept open: Meta adds values). */
  status: string;
  /** The recipient's wa_id, or their business-scoped user id when no wa_id is given. */
  recipientId: string | null;
  timestampMs: number;
  /** Everything else on the status: conversation, pricing, errors, biz_opaque_callback_data, unknown keys. */
  details: Record<string, unknown>;
}

export interface AccountEvent {
  kind: 'event';
  wabaId: string;
  /** The change's `field`, or `messages.errors` for a messages change that carries only errors. */
  field: string;
  /** The customer this event is about (e.g. a user_preferences wa_id); null when it is not about one customer. */
  contactWaId: string | null;
  value: Record<string, unknown>;
}
