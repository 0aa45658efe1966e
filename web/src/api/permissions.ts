// One source of truth: the server's list (a pure module, bundled into the page as it is).
import type { Permission } from '../../../src/identity/permissions.js';

export { permissions } from '../../../src/identity/permissions.js';
export type { ConversationAccess, Permission } from '../../../src/identity/permissions.js';

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
