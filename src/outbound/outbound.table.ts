// Columns ending in `_enc` hold field envelopes bound to table, column, row and contact.

export type OutboundState = 'queued' | 'sent' | 'failed';

/** A message the business asked Rampart to send. Delivery progress after `sent` comes from `message_statuses`. */
export interface OutboundMessageTable {
  id: string;
  contact_id: string;
  phone_number_id: string;
  type: string;
  /** Templates only: the name, to tell the caller and to check the category; never customer data. */
  template_name: string | null;
  /** The Graph API request body, minus the recipient (the contact holds the number). */
  content_enc: Buffer;
  state: OutboundState;
  /** Set once Meta accepted the message. */
  wamid_index: Buffer | null;
  wamid_enc: Buffer | null;
  error_code: number | null;
  error_reason: string | null;
  api_key_id: string | null;
  created_at: number;
  sent_at: number | null;
  updated_at: number;
}

/** Idempotency keys of API calls, per caller: a retried call gets the first call's answer. */
export interface IdempotencyKeyTable {
  scope: string;
  key_hash: Buffer;
  /** Digest of the request body: the same key with another body is refused. */
  request_digest: Buffer;
  resource_id: string;
  created_at: number;
}

/** A business number the sender stopped using (spam limit 131048, expired token 190). */
export interface SenderPauseTable {
  phone_number_id: string;
  reason: string;
  error_code: number | null;
  /** null: until an operator resumes it. */
  paused_until: number | null;
  created_at: number;
}
