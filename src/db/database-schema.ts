import type {
  AccountEventTable,
  ContactTable,
  MessageStatusTable,
  MessageTable,
  StatusEventTable,
} from '../conversations/conversation.table.js';
import type { AuditTables } from '../audit/audit.table.js';
import type { ConversationAssignmentTable, OutboundSenderColumns } from '../conversations/inbox.table.js';
import type { MediaObjectTable } from '../conversations/media.table.js';
import type { DataKeyTable, KeyMaterialTable } from '../crypto/key.table.js';
import type { ApiKeyTable } from '../identity/api-key.table.js';
import type { IdentityTables } from '../identity/identity.table.js';
import type { IdempotencyKeyTable, OutboundMessageTable, SenderPauseTable } from '../outbound/outbound.table.js';
import type { ConsentEventTable } from '../privacy/consent.table.js';
import type { OutboxJobTable } from './outbox.table.js';

/** The whole database, assembled from the tables each slice owns. */
export interface DatabaseSchema extends AuditTables, IdentityTables {
  key_material: KeyMaterialTable;
  data_keys: DataKeyTable;
  contacts: ContactTable;
  messages: MessageTable;
  message_statuses: MessageStatusTable;
  status_events: StatusEventTable;
  account_events: AccountEventTable;
  api_keys: ApiKeyTable;
  outbound_messages: OutboundMessageTable & OutboundSenderColumns;
  idempotency_keys: IdempotencyKeyTable;
  outbox_jobs: OutboxJobTable;
  consent_events: ConsentEventTable;
  sender_pauses: SenderPauseTable;
  media_objects: MediaObjectTable;
  conversation_assignments: ConversationAssignmentTable;
}
