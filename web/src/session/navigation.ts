import type { Permission } from '../api/permissions';

export interface NavigationItem {
  path: string;
  label: string;
  /** Null: every signed-in user. */
  permission: Permission | null;
  testId: string;
}

/** The pages of the dashboard, in navigation order, with the permission each needs. */
export const navigationItems: readonly NavigationItem[] = [
  { path: '/inbox', label: 'Inbox', permission: 'conversations.read', testId: 'nav-inbox' },
  { path: '/users', label: 'Users and roles', permission: 'users.manage', testId: 'nav-users' },
  { path: '/api-keys', label: 'API keys', permission: 'keys.manage', testId: 'nav-api-keys' },
  { path: '/audit', label: 'Audit log', permission: 'audit.read', testId: 'nav-audit' },
  { path: '/settings', label: 'Settings', permission: 'settings.manage', testId: 'nav-settings' },
  { path: '/account', label: 'Your account', permission: null, testId: 'nav-account' },
];

/** Where a user lands after sign-in: the first page their permissions open (the account page for everyone). */
export function findLandingPath(hasPermission: (permission: Permission) => boolean): string {
  return navigationItems.find((item) => item.permission === null || hasPermission(item.permission))?.path ?? '/account';
}
