import { afterEach, describe, expect, it } from 'vitest';
import { URI } from 'otpauth';
import type { TOTP } from 'otpauth';
import { dialects } from '../support/databases.js';
import type { TestDatabase } from '../support/databases.js';
import { noteSkippedWhen } from '../support/skip-notice.js';
import { missingPostgresMessage } from '../support/databases.js';
import { cookieHeaderFrom, startIdentityApp } from './support/identity-app.js';
import type { IdentityApp } from './support/identity-app.js';
import { createStaff, sendWithSession, signInFully } from './support/staff.js';
import type { TestSession } from './support/staff.js';

noteSkippedWhen(!dialects[1]!.isAvailable, 'bootstrap and setup links on postgres', missingPostgresMessage);

const tokenOf = (setupPath: string) => setupPath.replace('/setup#token=', '');

for (const dialect of dialects.filter((candidate) => candidate.isAvailable)) {
  describe(`first admin and setup links (${dialect.name})`, () => {
    let database: TestDatabase;
    let rampart: IdentityApp;

    afterEach(async () => {
      await rampart.close();
      await database.drop();
    });

    const start = async () => {
      database = await dialect.create();
      rampart = await startIdentityApp(database);
    };

    it('offers a bootstrap link while no user exists; the link creates one admin who must enrol before reaching anything', async () => {
      await start();
      const first = await rampart.identity.ensureBootstrapLink();
      const latest = await rampart.identity.ensureBootstrapLink();
      expect(latest).toMatch(/^\/setup#token=[A-Za-z0-9_-]{43}$/);
      // Stored hashed: the token appears nowhere in the table.
      const rows = await rampart.database.db.selectFrom('setup_tokens').selectAll().execute();
      expect(rows).toHaveLength(1);
      expect(JSON.stringify(rows)).not.toContain(tokenOf(latest!));

      const body = { email: ' Ada@Example.com ', displayName: 'Ada', password: 'a long enough passphrase' };
      const replaced = await sendWithSession(rampart, null, { method: 'POST', url: '/api/v1/auth/bootstrap', payload: { ...body, token: tokenOf(first!) } });
      expect(replaced.statusCode).toBe(401);
      expect(replaced.json().code).toBe('SETUP_LINK_INVALID');

      const weak = await sendWithSession(rampart, null, { method: 'POST', url: '/api/v1/auth/bootstrap', payload: { ...body, password: 'password1234', token: tokenOf(latest!) } });
      expect(weak.statusCode).toBe(422);
      expect(weak.body).not.toContain('password1234');

      const created = await sendWithSession(rampart, null, { method: 'POST', url: '/api/v1/auth/bootstrap', payload: { ...body, token: tokenOf(latest!) } });
      expect(created.statusCode).toBe(200);
      expect(created.json()).toMatchObject({ user: { email: 'ada@example.com', roleIds: ['admin'] }, session: { state: 'pending-mfa' }, nextStep: 'enrol-second-factor' });
      const pending: TestSession = { cookie: cookieHeaderFrom(created), csrfToken: created.json().csrfToken };

      // Used: neither this link nor a new one works, and none is offered.
      const again = await sendWithSession(rampart, null, { method: 'POST', url: '/api/v1/auth/bootstrap', payload: { ...body, email: 'eve@example.com', token: tokenOf(latest!) } });
      expect(again.statusCode).toBe(401);
      expect(await rampart.identity.ensureBootstrapLink()).toBeNull();

      // Pending MFA: nothing but enrolment.
      const users = await sendWithSession(rampart, pending, { method: 'GET', url: '/api/v1/users' });
      expect(users.statusCode).toBe(401);
      expect(users.json().code).toBe('MFA_REQUIRED');

      const enrolment = await sendWithSession(rampart, pending, { method: 'POST', url: '/api/v1/auth/totp/enrolment' });
      expect(enrolment.statusCode).toBe(200);
      const totp = URI.parse(enrolment.json().otpauthUri as string) as TOTP;
      expect(totp.digits).toBe(6);
      // The secret is stored sealed, not as its base32 text.
      const stored = await rampart.database.db.selectFrom('totp_credentials').selectAll().executeTakeFirstOrThrow();
      expect(stored.secret_enc.includes(Buffer.from(totp.secret.base32))).toBe(false);
      expect(stored.secret_enc.includes(Buffer.from(totp.secret.buffer))).toBe(false);

      const wrong = await sendWithSession(rampart, pending, { method: 'POST', url: '/api/v1/auth/totp/confirm', payload: { code: '000000' === totp.generate({ timestamp: rampart.clock.now() }) ? '111111' : '000000' } });
      expect(wrong.statusCode).toBe(401);
      const confirmed = await sendWithSession(rampart, pending, { method: 'POST', url: '/api/v1/auth/totp/confirm', payload: { code: totp.generate({ timestamp: rampart.clock.now() }) } });
      expect(confirmed.statusCode).toBe(200);
      const { recoveryCodes, session } = confirmed.json() as { recoveryCodes: string[]; session: { session: { state: string }; csrfToken: string } };
      expect(recoveryCodes).toHaveLength(10);
      expect(new Set(recoveryCodes).size).toBe(10);
      expect(session.session.state).toBe('active');

      // The token rotated: the pre-MFA cookie opens nothing any more.
      expect((await sendWithSession(rampart, pending, { method: 'GET', url: '/api/v1/auth/session' })).statusCode).toBe(401);
      const active: TestSession = { cookie: cookieHeaderFrom(confirmed), csrfToken: session.csrfToken };
      expect((await sendWithSession(rampart, active, { method: 'GET', url: '/api/v1/users' })).statusCode).toBe(200);
      expect(rampart.events.map((event) => `${event.action}:${event.outcome}`)).toEqual(
        expect.arrayContaining(['auth.bootstrap:failure', 'auth.bootstrap:success', 'auth.mfa.totp.enrol:failure', 'auth.mfa.totp.enrol:success', 'auth.mfa.recovery-codes.generate:success']),
      );
    });

    it('a user created by an admin sets a password with their one-time link and must enrol a factor', async () => {
      await start();
      const admin = await createStaff(rampart, { roleIds: ['admin'] });
      const adminSession = await signInFully(rampart, admin);
      const created = await sendWithSession(rampart, adminSession, { method: 'POST', url: '/api/v1/users', payload: { email: 'Agent.Smith@example.com', displayName: 'Agent Smith', roleIds: ['agent'] } });
      expect(created.statusCode).toBe(201);
      const { setupPath, user } = created.json() as { setupPath: string; user: { id: string; hasPassword: boolean } };
      expect(user.hasPassword).toBe(false);
      const taken = await sendWithSession(rampart, adminSession, { method: 'POST', url: '/api/v1/users', payload: { email: 'agent.smith@EXAMPLE.com', displayName: 'Copy', roleIds: ['agent'] } });
      expect(taken.json().code).toBe('EMAIL_TAKEN');

      const inspected = await sendWithSession(rampart, null, { method: 'POST', url: '/api/v1/auth/setup/inspect', payload: { token: tokenOf(setupPath) } });
      expect(inspected.json()).toEqual({ kind: 'password', email: 'agent.smith@example.com', displayName: 'Agent Smith' });
      const setUp = await sendWithSession(rampart, null, { method: 'POST', url: '/api/v1/auth/setup', payload: { token: tokenOf(setupPath), password: 'seven orange bicycles' } });
      expect(setUp.statusCode).toBe(200);
      expect(setUp.json()).toMatchObject({ nextStep: 'enrol-second-factor', session: { state: 'pending-mfa' } });
      const reused = await sendWithSession(rampart, null, { method: 'POST', url: '/api/v1/auth/setup', payload: { token: tokenOf(setupPath), password: 'another good passphrase' } });
      expect(reused.json().code).toBe('SETUP_LINK_INVALID');
      const login = await sendWithSession(rampart, null, { method: 'POST', url: '/api/v1/auth/login', payload: { email: 'agent.smith@example.com', password: 'seven orange bicycles' } });
      expect(login.json()).toMatchObject({ nextStep: 'enrol-second-factor' });
    });

    it('a setup link expires after 24 hours', async () => {
      await start();
      const admin = await createStaff(rampart, { roleIds: ['admin'] });
      const { setupPath } = await rampart.identity.users.createUser({ email: 'late@example.com', displayName: 'Late', roleIds: ['auditor'] }, { actor: { kind: 'user', id: admin.userId }, origin: { sourceAddress: null, requestId: null, userAgent: null } });
      rampart.clock.advance(24 * 3_600_000 + 1);
      const late = await sendWithSession(rampart, null, { method: 'POST', url: '/api/v1/auth/setup', payload: { token: tokenOf(setupPath), password: 'seven orange bicycles' } });
      expect(late.statusCode).toBe(401);
      expect(late.json().code).toBe('SETUP_LINK_INVALID');
    });
  });
}
