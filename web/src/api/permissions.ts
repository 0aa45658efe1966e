/** What a signed-in user may do (src/identity/permissions.ts). */
export const permissions = [
  'conversations.read',
  'conversations.reply',
  'contacts.export',
  'campaigns.send',
  'templates.manage',
  'users.manage',
  'audit.read',
  'privacy.manage',
  'keys.manage',
  'settings.manage',
] as const;
export type Permission = (typeof permissions)[number];

export type ConversationAccess = 'all' | 'assigned';

/** One line per permission, for role editors. */
export const permissionDescriptions: Record<Permission, string> = {
  'conversations.read': 'Read conversations (opening a thread is audited)',
  'conversations.reply': 'Answer customers in open conversations',
  'contacts.export': 'Export conversations and contacts',
  'campaigns.send': 'Send campaigns',
  'templates.manage': 'Manage message templates',
  'users.manage': 'Manage users and roles',
  'audit.read': 'Read and verify the audit log',
  'privacy.manage': 'Handle privacy requests and retention',
  'keys.manage': 'Create and revoke API keys',
  'settings.manage': 'See settings and metrics',
};
