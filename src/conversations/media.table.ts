/**
 * Media a customer sent: fetched from Meta after the message is stored (Meta keeps it 30 days),
 * encrypted under the contact's key. Meta's media id and hash stay inside the message envelope.
 */
export interface MediaObjectTable {
  id: string;
  /** The inbound message (messages.id) that carried the media. */
  message_id: string;
  contact_id: string;
  state: 'pending' | 'stored' | 'failed';
  mime_type: string | null;
  byte_size: number | null;
  /** The file's bytes, sealed (AAD binds table, column, row and contact). */
  content_enc: Buffer | null;
  /** Our words (too large, hash mismatch, …), never customer data. */
  failure_reason: string | null;
  created_at: number;
  updated_at: number;
}
