import { afterEach, describe, expect, it } from 'vitest';
import { dialects, missingPostgresMessage } from '../support/databases.js';
import type { TestDatabase } from '../support/databases.js';
import { noteSkippedWhen } from '../support/skip-notice.js';
import { cookieHeaderFrom, startIdentityApp } from './support/identity-app.js';
import type { IdentityApp } from './support/identity-app.js';
import { createStaff, postLogin, sendWithSession, signInFully } from './support/staff.js';
import type { TestSession } from './support/staff.js';

noteSkippedWhen(!dialects[1]!.isAvailable, 'users and roles on postgres', missingPostgresMessage);

for (const dialect of dialects.filter((candidate) => candidate.isAvailable)) {
  describe(`users and roles (${dialect.name})`, () => {
    let database: TestDatabase;
    let rampart: IdentityApp;
    let admin: TestSession;
    let adminId: string;

    afterEach(async () => {
      await rampart.close();
      await database.drop();
    });

    const start = async () => {
      database = await dialect.create();
      rampart = await startIdentityApp(database);
      const staff = await createStaff(rampart, { roleIds: ['admin'] });
      adminId = staff.userId;
      admin = await signInFully(rampart, staff);
    };
    const asAdmin = (method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, payload?: unknown) => sendWithSession(rampart, admin, { method, url, ...(payload === undefined ? {} : { payload }) });

    it('a custom role grants its permissions from the next request on, and loses them as soon as it changes', async () => {
      await start();
      const created = await asAdmin('POST', '/api/v1/roles', { name: 'Team lead', permissions: ['users.manage'], conversationAccess: 'all' });
      expect(created.statusCode).toBe(201);
      const roleId = created.json().id as string;
      expect((await asAdmin('POST', '/api/v1/roles', { name: 'TEAM LEAD', permissions: [] })).json().code).toBe('ROLE_NAME_TAKEN');
      expect((await asAdmin('POST', '/api/v1/roles', { name: 'Admin', permissions: [] })).json().code).toBe('ROLE_NAME_TAKEN');

      const lead = await createStaff(rampart, { roleIds: [roleId] });
      const session = await signInFully(rampart, lead);
      expect((await sendWithSession(rampart, session, { method: 'GET', url: '/api/v1/users' })).statusCode).toBe(200);
      expect((await asAdmin('PUT', `/api/v1/roles/${roleId}`, { name: 'Team lead', permissions: ['audit.read'] })).statusCode).toBe(200);
      expect((await sendWithSession(rampart, session, { method: 'GET', url: '/api/v1/users' })).statusCode).toBe(403);

      expect((await asAdmin('DELETE', `/api/v1/roles/${roleId}`)).json().code).toBe('ROLE_IN_USE');
      await asAdmin('PUT', `/api/v1/users/${lead.userId}/roles`, { roleIds: ['auditor'] });
      expect((await asAdmin('DELETE', `/api/v1/roles/${roleId}`)).statusCode).toBe(204);
      expect((await asAdmin('PUT', '/api/v1/roles/admin', { name: 'Admin', permissions: [] })).json().code).toBe('ROLE_BUILT_IN');
      expect((await asAdmin('PUT', `/api/v1/users/${lead.userId}/roles`, { roleIds: ['no-such-role'] })).statusCode).toBe(400);
      expect(rampart.events.map((event) => event.action)).toEqual(expect.arrayContaining(['roles.create', 'roles.update', 'roles.delete', 'users.roles.change']));
    });

    it('never leaves nobody able to manage users', async () => {
      await start();
      expect((await asAdmin('PUT', `/api/v1/users/${adminId}/roles`, { roleIds: ['auditor'] })).json().code).toBe('LAST_USER_MANAGER');
      expect((await asAdmin('PATCH', `/api/v1/users/${adminId}`, { status: 'disabled' })).statusCode).toBe(400);
      const second = await createStaff(rampart, { roleIds: ['admin'] });
      expect((await asAdmin('PATCH', `/api/v1/users/${second.userId}`, { status: 'disabled' })).statusCode).toBe(200);
      expect((await asAdmin('PUT', `/api/v1/users/${adminId}/roles`, { roleIds: ['auditor'] })).json().code).toBe('LAST_USER_MANAGER');
      expect((await asAdmin('GET', `/api/v1/users/${adminId}`)).json()).toMatchObject({ roleIds: ['admin'] });
    });

    it("an admin's reset with resetMfa clears password and factors: the user starts again from a setup link", async () => {
      await start();
      const agent = await createStaff(rampart, { roleIds: ['agent'] });
      const agentSession = await signInFully(rampart, agent);
      const reset = await asAdmin('POST', `/api/v1/users/${agent.userId}/password-reset`, { resetMfa: true });
      expect(reset.statusCode).toBe(200);
      expect((await sendWithSession(rampart, agentSession, { method: 'GET', url: '/api/v1/auth/session' })).statusCode).toBe(401);
      expect((await postLogin(rampart, agent.email, agent.password)).statusCode).toBe(401);
      const token = (reset.json().setupPath as string).replace('/setup#token=', '');
      const setUp = await sendWithSession(rampart, null, { method: 'POST', url: '/api/v1/auth/setup', payload: { token, password: 'a brand new passphrase' } });
      expect(setUp.json()).toMatchObject({ nextStep: 'enrol-second-factor' });
      expect((await asAdmin('POST', `/api/v1/users/${adminId}/password-reset`, {})).statusCode).toBe(400);
    });

    it('a recovery code completes a sign-in once, and only once', async () => {
      await start();
      const agent = await createStaff(rampart, { roleIds: ['agent'] });
      const session = await signInFully(rampart, agent);
      const codes = (await sendWithSession(rampart, session, { method: 'POST', url: '/api/v1/auth/recovery-codes' })).json().recoveryCodes as string[];
      expect(codes).toHaveLength(10);
      const stored = await rampart.database.db.selectFrom('recovery_codes').selectAll().where('user_id', '=', agent.userId).execute();
      expect(JSON.stringify(stored)).not.toContain(codes[0]!);
      const signInWithCode = async (code: string) => {
        const login = await postLogin(rampart, agent.email, agent.password);
        const pending = { cookie: cookieHeaderFrom(login), csrfToken: login.json().csrfToken as string };
        return sendWithSession(rampart, pending, { method: 'POST', url: '/api/v1/auth/recovery-codes/verify', payload: { code } });
      };
      // Typed from paper: upper case and without dashes still works.
      const first = await signInWithCode(codes[3]!.toUpperCase().replaceAll('-', ''));
      expect(first.statusCode).toBe(200);
      expect(first.json()).toMatchObject({ session: { state: 'active' } });
      expect((await signInWithCode(codes[3]!)).json().code).toBe('SECOND_FACTOR_INVALID');
      expect(rampart.events).toEqual(expect.arrayContaining([expect.objectContaining({ action: 'auth.mfa.verify', outcome: 'success', details: expect.objectContaining({ method: 'recovery-code', recoveryCodesLeft: 9 }) })]));
    });

    it('API keys are managed by keys.manage with a recent second factor; the key is shown once', async () => {
      await start();
      const created = await asAdmin('POST', '/api/v1/api-keys', { name: 'crm', scopes: ['messages:send'] });
      expect(created.statusCode).toBe(201);
      const { key, summary } = created.json() as { key: string; summary: { id: string } };
      expect(key).toMatch(/^rmp_/);
      expect((await asAdmin('GET', '/api/v1/api-keys')).body).not.toContain(key);
      expect((await asAdmin('DELETE', `/api/v1/api-keys/${summary.id}`)).json()).toMatchObject({ revokedAt: expect.any(Number) });
      expect(await rampart.apiKeys.authenticate(key)).toBeNull();
    });
  });
}
