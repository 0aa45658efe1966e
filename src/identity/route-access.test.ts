import { describe, expect, it } from 'vitest';
import Fastify from 'fastify';
import { registerApi } from '../http/api-plugin.js';
import type { Permission } from './permissions.js';
import { decideAccess, findAccessProblem } from './route-access.js';
import type { PresentedCredential, RouteAccess } from './route-access.js';

const now = 1_000_000;
const timing = { now, stepUpMs: 300_000 };
const session = (overrides: Partial<Extract<PresentedCredential, { kind: 'session' }>> = {}): PresentedCredential => ({
  kind: 'session',
  state: 'active',
  permissions: new Set<Permission>(['conversations.read']),
  hasSecondFactor: true,
  mfaVerifiedAt: now - 1_000,
  ...overrides,
});
const codeOf = (access: RouteAccess, credential: PresentedCredential) => {
  const decision = decideAccess(access, credential, timing);
  return decision.isAllowed ? 'allowed' : decision.code;
};

describe('route access declarations', () => {
  it.each([
    [undefined, /declares no scope/],
    [{}, /declares no scope/],
    ['everyone', /invalid/],
    [{ permission: 'conversations.delete' }, /unknown permission/],
    [{ apiKeyScope: 'messages:write' }, /unknown API key scope/],
    [{ permission: 'audit.read', signedIn: true }, /both/],
    [{ permission: 'audit.read', pendingMfa: 'any' }, /pending-MFA/],
  ])('refuses %j', (access, problem) => {
    expect(findAccessProblem(access)).toMatch(problem);
  });

  it.each([['public'], [{ permission: 'audit.read' }], [{ apiKeyScope: 'media:read' }], [{ signedIn: true, pendingMfa: 'enrol', stepUp: true }]])('accepts %j', (access) => {
    expect(findAccessProblem(access)).toBeNull();
  });

  it('makes registerApi fail for an /api/v1 route with an unusable declaration', async () => {
    const app = Fastify();
    await expect(
      registerApi(app, {
        apiKeys: { authenticate: async () => null },
        version: '0.0.0',
        registerRoutes: async (api) => {
          api.get('/api/v1/typo', { config: { access: { permission: 'users.mange' as Permission } } }, async () => ({}));
        },
      }).then(() => app.ready()),
    ).rejects.toThrow(/unknown permission users\.mange/);
  });
});

describe('access decisions', () => {
  it('answers 401 to anyone without credentials except on public routes', () => {
    expect(codeOf('public', { kind: 'none' })).toBe('allowed');
    expect(codeOf({ signedIn: true, pendingMfa: 'any' }, { kind: 'none' })).toBe('UNAUTHENTICATED');
    expect(codeOf({ apiKeyScope: 'media:read' }, { kind: 'none' })).toBe('UNAUTHENTICATED');
  });

  it('lets a pending session reach only what its state allows, and nothing that needs a permission', () => {
    const withFactor = session({ state: 'pending-mfa', mfaVerifiedAt: null, permissions: new Set(['users.manage']) });
    const withoutFactor = session({ state: 'pending-mfa', mfaVerifiedAt: null, hasSecondFactor: false });
    expect(codeOf({ permission: 'users.manage' }, withFactor)).toBe('MFA_REQUIRED');
    expect(codeOf({ signedIn: true, pendingMfa: 'verify' }, withFactor)).toBe('allowed');
    expect(codeOf({ signedIn: true, pendingMfa: 'enrol', stepUp: true }, withFactor)).toBe('MFA_REQUIRED');
    expect(codeOf({ signedIn: true, pendingMfa: 'enrol', stepUp: true }, withoutFactor)).toBe('allowed');
    expect(codeOf({ signedIn: true, pendingMfa: 'verify' }, withoutFactor)).toBe('MFA_REQUIRED');
    expect(codeOf({ signedIn: true }, withoutFactor)).toBe('MFA_REQUIRED');
  });

  it('answers 403 for a missing permission or scope and for a credential of the wrong kind', () => {
    expect(codeOf({ permission: 'users.manage' }, session())).toBe('FORBIDDEN');
    expect(codeOf({ permission: 'conversations.read' }, session())).toBe('allowed');
    expect(codeOf({ apiKeyScope: 'media:read' }, session())).toBe('FORBIDDEN');
    expect(codeOf({ permission: 'conversations.read' }, { kind: 'api-key', scopes: ['media:read', 'messages:read'] })).toBe('FORBIDDEN');
    expect(codeOf({ permission: 'conversations.read', apiKeyScope: 'messages:read' }, { kind: 'api-key', scopes: ['messages:read'] })).toBe('allowed');
    expect(codeOf({ apiKeyScope: 'media:read' }, { kind: 'api-key', scopes: ['messages:read'] })).toBe('FORBIDDEN');
  });

  it('asks for step-up once the last second factor is older than the window', () => {
    const access: RouteAccess = { permission: 'conversations.read', stepUp: true };
    expect(codeOf(access, session({ mfaVerifiedAt: now - 300_000 }))).toBe('allowed');
    expect(codeOf(access, session({ mfaVerifiedAt: now - 300_001 }))).toBe('STEP_UP_REQUIRED');
    // API keys have no second factor: step-up applies to sessions.
    expect(codeOf({ ...access, apiKeyScope: 'messages:read' }, { kind: 'api-key', scopes: ['messages:read'] })).toBe('allowed');
  });
});
