import { describe, expect, it } from 'vitest';
import { builtInRoles, canAccessConversation, combineRoles, findBuiltInRole } from './permissions.js';
import type { ConversationPrincipal } from './permissions.js';

const principalWith = (...roleIds: string[]): ConversationPrincipal => ({ userId: 'user-1', ...combineRoles(roleIds.map((id) => findBuiltInRole(id)!)) });

describe('roles and conversation access', () => {
  it('gives admin every permission and each other built-in role only its own', () => {
    expect(builtInRoles.map((role) => role.id)).toEqual(['admin', 'supervisor', 'agent', 'auditor', 'marketer']);
    expect(principalWith('admin').permissions.size).toBe(10);
    expect([...principalWith('auditor').permissions]).toEqual(['audit.read']);
    expect([...principalWith('marketer').permissions].sort()).toEqual(['campaigns.send', 'templates.manage']);
  });

  it('limits an agent to conversations assigned to them; unassigned ones are not theirs', () => {
    const agent = principalWith('agent');
    expect(canAccessConversation(agent, { assignedUserId: 'user-1' })).toBe(true);
    expect(canAccessConversation(agent, { assignedUserId: 'user-1' }, 'conversations.reply')).toBe(true);
    expect(canAccessConversation(agent, { assignedUserId: 'user-2' })).toBe(false);
    expect(canAccessConversation(agent, { assignedUserId: null })).toBe(false);
  });

  it('lets supervisors and admins reach every conversation, and nobody without the permission', () => {
    expect(canAccessConversation(principalWith('supervisor'), { assignedUserId: 'user-2' })).toBe(true);
    expect(canAccessConversation(principalWith('admin'), { assignedUserId: null })).toBe(true);
    expect(canAccessConversation(principalWith('auditor', 'marketer'), { assignedUserId: 'user-1' })).toBe(false);
    expect(canAccessConversation(null, { assignedUserId: 'user-1' })).toBe(false);
  });

  it('does not let a role without conversation permissions widen an agent to all conversations', () => {
    // Auditor is "assigned" anyway; a custom role with access "all" but no conversation permission must not widen.
    const widened = combineRoles([findBuiltInRole('agent')!, { id: 'x', name: 'x', description: '', permissions: ['audit.read'], conversationAccess: 'all', isBuiltIn: false }]);
    expect(widened.conversationAccess).toBe('assigned');
    const replyOnly = { id: 'y', name: 'y', description: '', permissions: ['conversations.reply'] as const, conversationAccess: 'all' as const, isBuiltIn: false };
    expect(combineRoles([findBuiltInRole('agent')!, replyOnly]).conversationAccess).toBe('assigned');
  });
});
