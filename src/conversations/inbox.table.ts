// The inbox's storage (migration 2026-11-23-006-inbox). Nothing here is customer data: ids and times.

/** Who answers a conversation (a contact). No row: unassigned. The history of changes is in the audit log. */
export interface ConversationAssignmentTable {
  /** The conversation: a contact's id (contacts.id). */
  contact_id: string;
  /** An active user holding conversations.read when assigned (users.id; no foreign key, see the migration). */
  assigned_user_id: string;
  assigned_at: number;
  /** The user who made the assignment. */
  assigned_by: string;
}

/**
 * The column the inbox added to `outbound_messages`: the signed-in user who wrote a reply in the
 * dashboard (`api_key_id` names a service's key; neither: Rampart's own message).
 */
export interface OutboundSenderColumns {
  sent_by_user_id: string | null;
}
