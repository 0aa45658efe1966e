/** What a signed-in user may do. Routes declare one; roles grant lists of them. */
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

/** Which conversations a role's conversation permissions reach: every one, or those assigned to the user. */
export const conversationAccessLevels = ['all', 'assigned'] as const;
export type ConversationAccess = (typeof conversationAccessLevels)[number];

export interface RoleDefinition {
  id: string;
  name: string;
  description: string;
  permissions: readonly Permission[];
  conversationAccess: ConversationAccess;
  isBuiltIn: boolean;
}

export const builtInRoles: readonly RoleDefinition[] = [
  { id: 'admin', name: 'Admin', description: 'Everything, including users, roles, keys and settings.', permissions: [...permissions], conversationAccess: 'all', isBuiltIn: true },
  {
    id: 'supervisor',
    name: 'Supervisor',
    description: 'Reads and answers every conversation, exports contacts, reads the audit log.',
    permissions: ['conversations.read', 'conversations.reply', 'contacts.export', 'audit.read'],
    conversationAccess: 'all',
    isBuiltIn: true,
  },
  {
    id: 'agent',
    name: 'Agent',
    description: 'Reads and answers the conversations assigned to them.',
    permissions: ['conversations.read', 'conversations.reply'],
    conversationAccess: 'assigned',
    isBuiltIn: true,
  },
  { id: 'auditor', name: 'Auditor', description: 'Reads the audit log.', permissions: ['audit.read'], conversationAccess: 'assigned', isBuiltIn: true },
  {
    id: 'marketer',
    name: 'Marketer',
    description: 'Sends campaigns and manages templates.',
    permissions: ['campaigns.send', 'templates.manage'],
    conversationAccess: 'assigned',
    isBuiltIn: true,
  },
];

export type BuiltInRoleId = 'admin' | 'supervisor' | 'agent' | 'auditor' | 'marketer';
export const builtInRoleIds = builtInRoles.map((role) => role.id) as readonly BuiltInRoleId[];

export function findBuiltInRole(id: string): RoleDefinition | undefined {
  return builtInRoles.find((role) => role.id === id);
}

export function isPermission(value: string): value is Permission {
  return (permissions as readonly string[]).includes(value);
}

/**
 * What a user's roles grant together: the union of permissions; `all` conversations only if a role
 * that reads conversations reaches all of them (a reply-only role with `all` plus the agent role
 * must not add up to reading everything).
 */
export function combineRoles(roles: readonly RoleDefinition[]): { permissions: ReadonlySet<Permission>; conversationAccess: ConversationAccess } {
  const granted = new Set<Permission>(roles.flatMap((role) => role.permissions));
  const hasAllConversations = roles.some((role) => role.conversationAccess === 'all' && role.permissions.includes('conversations.read'));
  return { permissions: granted, conversationAccess: hasAllConversations ? 'all' : 'assigned' };
}

/** The part of a signed-in user that conversation checks need. */
export interface ConversationPrincipal {
  userId: string;
  permissions: ReadonlySet<Permission>;
  conversationAccess: ConversationAccess;
}

/** Who a conversation is assigned to (null: nobody yet). */
export interface ConversationAssignment {
  assignedUserId: string | null;
}

/**
 * May this user read (or, with `conversations.reply`, answer) this conversation? Roles limited to
 * assigned conversations reach only those assigned to the user; unassigned ones are not theirs.
 */
export function canAccessConversation(
  principal: ConversationPrincipal | null,
  assignment: ConversationAssignment,
  permission: Extract<Permission, 'conversations.read' | 'conversations.reply'> = 'conversations.read',
): boolean {
  if (!principal || !principal.permissions.has(permission)) return false;
  if (principal.conversationAccess === 'all') return true;
  return assignment.assignedUserId !== null && assignment.assignedUserId === principal.userId;
}
