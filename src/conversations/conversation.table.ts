
// Columns ending in `_enc` hold field envelopes (src/crypto/envelope.ts) bound to their table,
// column, row id and contact; columns ending in `_index` hold keyed blind indexes.

export interface ContactTable {
  id: string;
  lookup_index: Buffer;
  data_key_id: string;
  wa_id_enc: Buffer;
  profile_enc: Buffer | null;
  /** Keyed digest of the profile, bound to the contact: tells a changed profile without decrypting. */
  profile_digest: Buffer | null;
  created_at: number;
  updated_at: number;
}

export interface MessageTable {
  id: string;
  wamid_index: Buffer;
  contact_id: string;
  direction: 'inbound' | 'outbound';
  phone_number_id: string;
  type: string;
  /** `{ wamid, message }`: Meta's id (it embeds the customer's number) and everything the message carried. */
  content_enc: Buffer;
  sent_at: number;
  received_at: number;
}

/**
 * The current status of a message: only ever moves up (sent < delivered < read < played; failed is
 * terminal). Its details are those of the matching `status_events` row.
 */
export interface MessageStatusTable {
  wamid_index: Buffer;
  contact_id: string | null;
  status: string;
  status_rank: number;
  status_at: number;
  updated_at: number;
}

/** Every distinct status a message went through, once each. */
export interface StatusEventTable {
  id: string;
  wamid_index: Buffer;
  status: string;
  contact_id: string | null;
  status_at: number;
  details_enc: Buffer;
  received_at: number;
}

/** Webhook events that are not messages or statuses (template, account, user_preferences, unknown fields). */
export interface AccountEventTable {
  id: string;
  dedupe_index: Buffer;
  waba_id: string;
  field: string;
  contact_id: string | null;
  value_enc: Buffer;
  received_at: number;
}

