import type {
  AccountEventTable,
  ContactTable,
  MessageStatusTable,
  MessageTable,
  StatusEventTable,
} from '../conversations/conversation.table.js';
import type { DataKeyTable, KeyMaterialTable } from '../crypto/key.table.js';

/** The whole database, assembled from the tables each slice owns. */
export interface DatabaseSchema {
  key_material: KeyMaterialTable;
  data_keys: DataKeyTable;
  contacts: ContactTable;
  messages: MessageTable;
  message_statuses: MessageStatusTable;
  status_events: StatusEventTable;
  account_events: AccountEventTable;
}
