import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiKeyScope } from '../../src/identity/api-key-service.js';
import { apiKeyScopes } from '../../src/identity/api-key-service.js';
import type { Permission } from '../../src/identity/permissions.js';
import { permissions } from '../../src/identity/permissions.js';
import { createSqliteDatabase } from '../support/databases.js';
import type { TestDatabase } from '../support/databases.js';
import { startIdentityApp } from './support/identity-app.js';
import type { IdentityApp } from './support/identity-app.js';
import { createStaff, openSession, sendWithSession } from './support/staff.js';
import type { TestSession } from './support/staff.js';

/**
 * Every registered /api/v1 route × every kind of caller gets exactly the designed answer. The
 * table below is the design, written by hand: a new route without a row, or a row whose route is
 * gone, fails the test, as does any route whose guard answers differently.
 */
type Caller =
  | 'anonymous'
  | 'pendingWithFactor'
  | 'pendingWithoutFactor'
  | 'admin'
  | 'supervisor'
  | 'agent'
  | 'auditor'
  | 'marketer'
  | 'adminWithStaleMfa'
  | 'apiKeyWithScope'
  | 'apiKeyWithoutScope';
type Answer = 'allowed' | 'UNAUTHENTICATED' | 'MFA_REQUIRED' | 'STEP_UP_REQUIRED' | 'FORBIDDEN';
type Row = Record<Caller, Answer>;

const roles = ['admin', 'supervisor', 'agent', 'auditor', 'marketer'] as const;
/** The designed grants of the built-in roles (issue 4), independent of permissions.ts. */
const designedGrants: Record<(typeof roles)[number], readonly Permission[]> = {
  admin: permissions,
  supervisor: ['conversations.read', 'conversations.reply', 'contacts.export', 'audit.read'],
  agent: ['conversations.read', 'conversations.reply'],
  auditor: ['audit.read'],
  marketer: ['campaigns.send', 'templates.manage'],
};

const everyRole = (answer: Answer) => Object.fromEntries(roles.map((role) => [role, answer])) as Record<(typeof roles)[number], Answer>;

const publicRoute = (): Row => ({
  anonymous: 'allowed',
  pendingWithFactor: 'allowed',
  pendingWithoutFactor: 'allowed',
  ...everyRole('allowed'),
  adminWithStaleMfa: 'allowed',
  apiKeyWithScope: 'allowed',
  apiKeyWithoutScope: 'allowed',
});
/** Any session, even before the second factor (session info, sign-out). */
const anySession = (): Row => ({
  anonymous: 'UNAUTHENTICATED',
  pendingWithFactor: 'allowed',
  pendingWithoutFactor: 'allowed',
  ...everyRole('allowed'),
  adminWithStaleMfa: 'allowed',
  apiKeyWithScope: 'FORBIDDEN',
  apiKeyWithoutScope: 'FORBIDDEN',
});
/** A signed-in user's own account, after MFA. */
const ownAccount = ({ stepUp = false } = {}): Row => ({
  anonymous: 'UNAUTHENTICATED',
  pendingWithFactor: 'MFA_REQUIRED',
  pendingWithoutFactor: 'MFA_REQUIRED',
  ...everyRole('allowed'),
  adminWithStaleMfa: stepUp ? 'STEP_UP_REQUIRED' : 'allowed',
  apiKeyWithScope: 'FORBIDDEN',
  apiKeyWithoutScope: 'FORBIDDEN',
});
/** Enrolling a factor: the first one while pending, more ones only with a fresh second factor. */
const enrolment = (): Row => ({ ...ownAccount({ stepUp: true }), pendingWithoutFactor: 'allowed' });
/** Proving a factor: completes a pending sign-in, or steps up an active session. */
const verification = (): Row => ({ ...ownAccount(), pendingWithFactor: 'allowed' });
const needs = (permission: Permission, { stepUp = false } = {}): Row => ({
  anonymous: 'UNAUTHENTICATED',
  pendingWithFactor: 'MFA_REQUIRED',
  pendingWithoutFactor: 'MFA_REQUIRED',
  ...(Object.fromEntries(roles.map((role) => [role, designedGrants[role].includes(permission) ? 'allowed' : 'FORBIDDEN'])) as Record<(typeof roles)[number], Answer>),
  adminWithStaleMfa: stepUp ? 'STEP_UP_REQUIRED' : 'allowed',
  apiKeyWithScope: 'FORBIDDEN',
  apiKeyWithoutScope: 'FORBIDDEN',
});
/** Staff with the permission, or a service whose API key holds the route's scope (the audit log for a SIEM or a witness). */
const needsOrScope = (permission: Permission, { stepUp = false } = {}): Row => ({ ...needs(permission, { stepUp }), apiKeyWithScope: 'allowed' });
/** For the business's services only. */
const serviceOnly = (): Row => ({
  anonymous: 'UNAUTHENTICATED',
  pendingWithFactor: 'MFA_REQUIRED',
  pendingWithoutFactor: 'MFA_REQUIRED',
  ...everyRole('FORBIDDEN'),
  adminWithStaleMfa: 'FORBIDDEN',
  apiKeyWithScope: 'allowed',
  apiKeyWithoutScope: 'FORBIDDEN',
});

const designed: Record<string, { row: Row; scope?: ApiKeyScope }> = {
  'POST /api/v1/auth/login': { row: publicRoute() },
  'POST /api/v1/auth/bootstrap': { row: publicRoute() },
  'POST /api/v1/auth/setup/inspect': { row: publicRoute() },
  'POST /api/v1/auth/setup': { row: publicRoute() },
  'GET /api/v1/auth/session': { row: anySession() },
  'POST /api/v1/auth/logout': { row: anySession() },
  'POST /api/v1/auth/password': { row: ownAccount() },
  'GET /api/v1/auth/sessions': { row: ownAccount() },
  'DELETE /api/v1/auth/sessions/:id': { row: ownAccount() },
  'GET /api/v1/auth/mfa': { row: ownAccount() },
  'POST /api/v1/auth/totp/enrolment': { row: enrolment() },
  'POST /api/v1/auth/totp/confirm': { row: enrolment() },
  'DELETE /api/v1/auth/totp': { row: ownAccount({ stepUp: true }) },
  'POST /api/v1/auth/totp/verify': { row: verification() },
  'POST /api/v1/auth/recovery-codes/verify': { row: verification() },
  'POST /api/v1/auth/recovery-codes': { row: ownAccount({ stepUp: true }) },
  'POST /api/v1/auth/passkeys/registration-options': { row: enrolment() },
  'POST /api/v1/auth/passkeys/registration': { row: enrolment() },
  'POST /api/v1/auth/passkeys/authentication-options': { row: verification() },
  'POST /api/v1/auth/passkeys/authentication': { row: verification() },
  'DELETE /api/v1/auth/passkeys/:id': { row: ownAccount({ stepUp: true }) },
  'POST /api/v1/auth/step-up': { row: ownAccount() },
  'GET /api/v1/users': { row: needs('users.manage') },
  'POST /api/v1/users': { row: needs('users.manage', { stepUp: true }) },
  'GET /api/v1/users/:id': { row: needs('users.manage') },
  'PATCH /api/v1/users/:id': { row: needs('users.manage', { stepUp: true }) },
  'PUT /api/v1/users/:id/roles': { row: needs('users.manage', { stepUp: true }) },
  'POST /api/v1/users/:id/password-reset': { row: needs('users.manage', { stepUp: true }) },
  'DELETE /api/v1/users/:id/sessions': { row: needs('users.manage') },
  'GET /api/v1/roles': { row: needs('users.manage') },
  'POST /api/v1/roles': { row: needs('users.manage', { stepUp: true }) },
  'PUT /api/v1/roles/:id': { row: needs('users.manage', { stepUp: true }) },
  'DELETE /api/v1/roles/:id': { row: needs('users.manage', { stepUp: true }) },
  'GET /api/v1/api-keys': { row: needs('keys.manage') },
  'POST /api/v1/api-keys': { row: needs('keys.manage', { stepUp: true }) },
  'DELETE /api/v1/api-keys/:id': { row: needs('keys.manage', { stepUp: true }) },
  'POST /api/v1/messages': { row: serviceOnly(), scope: 'messages:send' },
  'GET /api/v1/messages/:id': { row: serviceOnly(), scope: 'messages:read' },
  'POST /api/v1/media': { row: serviceOnly(), scope: 'messages:send' },
  'GET /api/v1/media/:id': { row: serviceOnly(), scope: 'media:read' },
  // The inbox (src/conversations/inbox-*.ts).
  'GET /api/v1/conversations': { row: needs('conversations.read') },
  'GET /api/v1/conversations/:id': { row: needs('conversations.read') },
  'GET /api/v1/conversations/:id/messages': { row: needs('conversations.read') },
  'POST /api/v1/conversations/:id/messages': { row: needs('conversations.reply') },
  'POST /api/v1/conversations/search': { row: needs('conversations.read') },
  'GET /api/v1/contacts/:id': { row: needs('conversations.read') },
  // Agents hold conversations.read, but assigning needs every conversation in reach: the handler refuses them.
  'GET /api/v1/conversations/assignees': { row: { ...needs('conversations.read'), agent: 'FORBIDDEN' } },
  'PUT /api/v1/conversations/:id/assignment': { row: { ...needs('conversations.read'), agent: 'FORBIDDEN' } },
  'GET /api/v1/conversations/:id/export': { row: needs('contacts.export', { stepUp: true }) },
  // The audit log, settings and metrics (src/audit/audit-routes.ts, src/http/settings-routes.ts).
  'GET /api/v1/audit/entries': { row: needsOrScope('audit.read'), scope: 'audit:read' },
  'GET /api/v1/audit/status': { row: needsOrScope('audit.read'), scope: 'audit:read' },
  'POST /api/v1/audit/verify': { row: needs('audit.read') },
  'GET /api/v1/audit/checkpoint': { row: needsOrScope('audit.read'), scope: 'audit:read' },
  'GET /api/v1/audit/proofs/inclusion': { row: needsOrScope('audit.read'), scope: 'audit:read' },
  'GET /api/v1/audit/proofs/consistency': { row: needsOrScope('audit.read'), scope: 'audit:read' },
  'GET /api/v1/audit/export': { row: needsOrScope('audit.read', { stepUp: true }), scope: 'audit:read' },
  'GET /api/v1/settings': { row: needs('settings.manage') },
};

const callers: readonly Caller[] = ['anonymous', 'pendingWithFactor', 'pendingWithoutFactor', ...roles, 'adminWithStaleMfa', 'apiKeyWithScope', 'apiKeyWithoutScope'];
const SOME_ID = '00000000-0000-4000-8000-000000000000';

describe('permission matrix', () => {
  let database: TestDatabase;
  let rampart: IdentityApp;
  const registered: string[] = [];
  const userIds = new Map<string, string>();

  beforeAll(async () => {
    database = await createSqliteDatabase();
    rampart = await startIdentityApp(database, {
      onRoute: (route) => {
        const methods = Array.isArray(route.method) ? route.method : [route.method];
        for (const method of methods) if (method !== 'HEAD' && route.url.startsWith('/api/v1')) registered.push(`${method} ${route.url}`);
      },
    });
    for (const role of roles) userIds.set(role, (await createStaff(rampart, { roleIds: [role] })).userId);
    userIds.set('pendingWithFactor', (await createStaff(rampart, { roleIds: ['admin'] })).userId);
    userIds.set('pendingWithoutFactor', (await createStaff(rampart, { roleIds: ['admin'], withTotp: false })).userId);
  });

  afterAll(async () => {
    await rampart?.close();
    await database?.drop();
  });

  it('has a designed row for exactly the registered routes', () => {
    expect([...registered].sort()).toEqual(Object.keys(designed).sort());
  });

  /** Fresh credentials per request: a request that signs out or rotates must not affect the next. */
  async function credentialsFor(caller: Caller, scope: ApiKeyScope | undefined): Promise<{ session: TestSession | null; headers: Record<string, string> }> {
    if (caller === 'anonymous') return { session: null, headers: {} };
    if (caller === 'apiKeyWithScope' || caller === 'apiKeyWithoutScope') {
      const scopes = caller === 'apiKeyWithScope' && scope ? [scope] : apiKeyScopes.filter((candidate) => candidate !== scope);
      const { key } = await rampart.apiKeys.createApiKey(caller, scopes);
      return { session: null, headers: { authorization: `Bearer ${key}` } };
    }
    if (caller === 'pendingWithFactor' || caller === 'pendingWithoutFactor') return { session: await openSession(rampart, userIds.get(caller)!, 'pending-mfa'), headers: {} };
    const session = await openSession(rampart, userIds.get(caller === 'adminWithStaleMfa' ? 'admin' : caller)!);
    if (caller === 'adminWithStaleMfa') {
      const stale = rampart.clock.now() - rampart.config.identity.stepUpMs - 1;
      await rampart.database.db.updateTable('sessions').set({ mfa_verified_at: stale }).where('user_id', '=', userIds.get('admin')!).execute();
    }
    return { session, headers: {} };
  }

  it('answers every route × caller as designed', async () => {
    const mismatches: string[] = [];
    for (const route of registered) {
      const design = designed[route];
      if (!design) continue;
      const [method, path] = route.split(' ') as [string, string];
      for (const caller of callers) {
        const { session, headers } = await credentialsFor(caller, design.scope);
        const response = await sendWithSession(rampart, session, {
          method: method as 'GET',
          url: path.replace(':id', SOME_ID),
          headers,
          ...(method === 'GET' || method === 'DELETE' ? {} : { payload: {} }),
        });
        const expected = design.row[caller];
        const code = response.statusCode === 401 || response.statusCode === 403 ? (response.json() as { code: string }).code : null;
        const actual: string = code ?? 'allowed';
        if (actual !== expected) mismatches.push(`${route} as ${caller}: expected ${expected}, got ${response.statusCode} ${code ?? ''}`);
        if (response.statusCode === 500) mismatches.push(`${route} as ${caller}: 500 ${response.body}`);
      }
    }
    expect(mismatches).toEqual([]);
  });

  it('records a denial in the security log for an authenticated caller without permission', async () => {
    const session = await openSession(rampart, userIds.get('agent')!);
    const before = rampart.events.length;
    expect((await sendWithSession(rampart, session, { method: 'GET', url: '/api/v1/users' })).statusCode).toBe(403);
    expect(rampart.events.slice(before)).toEqual([
      expect.objectContaining({ action: 'access.denied', outcome: 'denied', actor: { kind: 'user', id: userIds.get('agent') }, details: { method: 'GET', route: '/api/v1/users' } }),
    ]);
  });

  it('documents every /api/v1 route in the OpenAPI document with the credentials it takes', async () => {
    const document = (await rampart.app.inject({ method: 'GET', url: '/api/docs/json' })).json() as { paths: Record<string, Record<string, { security?: unknown }>> };
    const documented = Object.entries(document.paths).flatMap(([path, operations]) => Object.keys(operations).map((method) => `${method.toUpperCase()} ${path.replace('{id}', ':id')}`));
    expect(documented.sort()).toEqual(Object.keys(designed).sort());
    expect(document.paths['/api/v1/auth/login']!.post!.security).toEqual([]);
    expect(document.paths['/api/v1/users']!.get!.security).toEqual([{ session: ['users.manage'] }]);
    expect(document.paths['/api/v1/messages']!.post!.security).toEqual([{ apiKey: ['messages:send'] }]);
  });
});
