import { afterEach, describe, expect, it } from 'vitest';
import { PENDING_MFA_LIFETIME_MS } from '../../src/identity/session-service.js';
import { dialects, missingPostgresMessage } from '../support/databases.js';
import type { TestDatabase } from '../support/databases.js';
import { noteSkippedWhen } from '../support/skip-notice.js';
import { cookieHeaderFrom, startIdentityApp } from './support/identity-app.js';
import type { IdentityApp } from './support/identity-app.js';
import { createStaff, postLogin, sendWithSession, signInFully } from './support/staff.js';
import type { TestSession } from './support/staff.js';

noteSkippedWhen(!dialects[1]!.isAvailable, 'sessions on postgres', missingPostgresMessage);

const MINUTE = 60_000;

for (const dialect of dialects.filter((candidate) => candidate.isAvailable)) {
  describe(`sessions (${dialect.name})`, () => {
    let database: TestDatabase;
    let rampart: IdentityApp;

    afterEach(async () => {
      await rampart.close();
      await database.drop();
    });

    const start = async (overrides = {}) => {
      database = await dialect.create();
      rampart = await startIdentityApp(database, { overrides });
    };
    const getSession = (session: TestSession) => sendWithSession(rampart, session, { method: 'GET', url: '/api/v1/auth/session' });

    it('sets the session cookie HttpOnly, SameSite=Strict, Path=/ and Secure unless the public URL is plain http on loopback', async () => {
      await start({ RAMPART_PUBLIC_URL: 'https://rampart.example.com' });
      const staff = await createStaff(rampart, { roleIds: ['agent'] });
      const login = await postLogin(rampart, staff.email, staff.password);
      const cookie = login.cookies.find((candidate) => candidate.name === 'rampart_session')!;
      expect(cookie).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Strict', path: '/', maxAge: PENDING_MFA_LIFETIME_MS / 1000 });
      const csrf = login.cookies.find((candidate) => candidate.name === 'rampart_csrf')!;
      expect(csrf.httpOnly).toBeUndefined();
      expect(csrf.value).toBe(login.json().csrfToken);
      // The session token is in the cookie only, never in the body.
      expect(login.body).not.toContain(cookie.value);
      await rampart.close();
      await database.drop();

      await start({ RAMPART_PUBLIC_URL: 'http://127.0.0.1:8080' });
      const local = await createStaff(rampart, { roleIds: ['agent'] });
      const plain = (await postLogin(rampart, local.email, local.password)).cookies.find((candidate) => candidate.name === 'rampart_session')!;
      expect(plain.secure).toBeUndefined();
      expect(plain.sameSite).toBe('Strict');
    });

    it('ends a session after 15 idle minutes, and keeps one in use alive until its 12-hour lifetime', async () => {
      await start();
      const staff = await createStaff(rampart, { roleIds: ['agent'] });
      const idle = await signInFully(rampart, staff);
      const busy = await signInFully(rampart, staff);
      rampart.clock.advance(14 * MINUTE);
      expect((await getSession(busy)).statusCode).toBe(200);
      rampart.clock.advance(MINUTE + 1);
      const expired = await getSession(idle);
      expect(expired.statusCode).toBe(401);
      expect(expired.json().code).toBe('SESSION_EXPIRED');
      expect(expired.headers['set-cookie']).toEqual(expect.arrayContaining([expect.stringMatching(/^rampart_session=; .*Max-Age=0/)]));
      // Still expired on the next try, not resurrected.
      expect((await getSession(idle)).statusCode).toBe(401);

      // Keep using `busy` every 10 minutes: it lives until 12 hours after sign-in, not a minute more.
      const signedInAt = (await getSession(busy)).json().session.createdAt as number;
      while (rampart.clock.now() + 10 * MINUTE < signedInAt + 12 * 60 * MINUTE) {
        rampart.clock.advance(10 * MINUTE);
        expect((await getSession(busy)).statusCode).toBe(200);
      }
      rampart.clock.set(signedInAt + 12 * 60 * MINUTE);
      expect((await getSession(busy)).json().code).toBe('SESSION_EXPIRED');
    });

    it('does not keep a session alive with background polling (x-rampart-background: 1)', async () => {
      await start();
      const staff = await createStaff(rampart, { roleIds: ['agent'] });
      const session = await signInFully(rampart, staff);
      const poll = () => sendWithSession(rampart, session, { method: 'GET', url: '/api/v1/auth/session', headers: { 'x-rampart-background': '1' } });
      for (let minute = 5; minute < 15; minute += 5) {
        rampart.clock.advance(5 * MINUTE);
        expect((await poll()).statusCode).toBe(200);
      }
      rampart.clock.advance(5 * MINUTE);
      expect((await poll()).json().code).toBe('SESSION_EXPIRED');
    });

    it('a pending-MFA session lasts ten minutes at most', async () => {
      await start();
      const staff = await createStaff(rampart, { roleIds: ['agent'] });
      const login = await postLogin(rampart, staff.email, staff.password);
      const pending = { cookie: cookieHeaderFrom(login), csrfToken: login.json().csrfToken as string };
      for (let minute = 0; minute < 10; minute += 1) {
        expect((await getSession(pending)).statusCode).toBe(200);
        rampart.clock.advance(MINUTE);
      }
      expect((await getSession(pending)).statusCode).toBe(401);
    });

    it('logout ends the session at once', async () => {
      await start();
      const staff = await createStaff(rampart, { roleIds: ['agent'] });
      const session = await signInFully(rampart, staff);
      const logout = await sendWithSession(rampart, session, { method: 'POST', url: '/api/v1/auth/logout' });
      expect(logout.statusCode).toBe(204);
      expect(logout.headers['set-cookie']).toEqual(expect.arrayContaining([expect.stringMatching(/^rampart_session=;/)]));
      expect((await getSession(session)).statusCode).toBe(401);
    });

    it('changing the password ends every other session; disabling a user or changing their roles ends all of them', async () => {
      await start();
      const admin = await createStaff(rampart, { roleIds: ['admin'] });
      const adminSession = await signInFully(rampart, admin);
      const staff = await createStaff(rampart, { roleIds: ['agent'] });
      const [laptop, phone] = [await signInFully(rampart, staff), await signInFully(rampart, staff)];

      const wrongCurrent = await sendWithSession(rampart, laptop, { method: 'POST', url: '/api/v1/auth/password', payload: { currentPassword: 'not it', newPassword: 'an entirely new passphrase' } });
      expect(wrongCurrent.json().code).toBe('INVALID_CREDENTIALS');
      const changed = await sendWithSession(rampart, laptop, { method: 'POST', url: '/api/v1/auth/password', payload: { currentPassword: staff.password, newPassword: 'an entirely new passphrase' } });
      expect(changed.statusCode).toBe(204);
      expect((await getSession(laptop)).statusCode).toBe(200);
      expect((await getSession(phone)).statusCode).toBe(401);
      expect((await postLogin(rampart, staff.email, staff.password)).statusCode).toBe(401);
      staff.password = 'an entirely new passphrase';

      const listed = await sendWithSession(rampart, laptop, { method: 'GET', url: '/api/v1/auth/sessions' });
      expect(listed.json()).toEqual([expect.objectContaining({ isCurrent: true, state: 'active' })]);

      const roles = await sendWithSession(rampart, adminSession, { method: 'PUT', url: `/api/v1/users/${staff.userId}/roles`, payload: { roleIds: ['agent', 'auditor'] } });
      expect(roles.statusCode).toBe(200);
      expect((await getSession(laptop)).statusCode).toBe(401);

      const again = await signInFully(rampart, staff);
      const disabled = await sendWithSession(rampart, adminSession, { method: 'PATCH', url: `/api/v1/users/${staff.userId}`, payload: { status: 'disabled' } });
      expect(disabled.json()).toMatchObject({ status: 'disabled' });
      expect((await getSession(again)).statusCode).toBe(401);
      // A disabled user's right password gets the same answer as a wrong one.
      expect((await postLogin(rampart, staff.email, staff.password)).json().code).toBe('INVALID_CREDENTIALS');
      expect(rampart.events.map((event) => event.action)).toEqual(expect.arrayContaining(['auth.password.change', 'users.roles.change', 'users.disable']));
    });

    it('an admin ends every session of a user; a user ends one of their own', async () => {
      await start();
      const admin = await createStaff(rampart, { roleIds: ['admin'] });
      const adminSession = await signInFully(rampart, admin);
      const staff = await createStaff(rampart, { roleIds: ['marketer'] });
      const [first, second, third] = [await signInFully(rampart, staff), await signInFully(rampart, staff), await signInFully(rampart, staff)];
      const mine = (await sendWithSession(rampart, first, { method: 'GET', url: '/api/v1/auth/sessions' })).json() as { id: string; isCurrent: boolean }[];
      const secondId = mine.find((session) => !session.isCurrent)!.id;
      expect((await sendWithSession(rampart, first, { method: 'DELETE', url: `/api/v1/auth/sessions/${secondId}` })).statusCode).toBe(204);
      const stillOpen = [await getSession(second), await getSession(third)].filter((answer) => answer.statusCode === 200);
      expect(stillOpen).toHaveLength(1);
      // Not someone else's.
      const adminSessions = (await sendWithSession(rampart, adminSession, { method: 'GET', url: '/api/v1/auth/sessions' })).json() as { id: string }[];
      expect((await sendWithSession(rampart, first, { method: 'DELETE', url: `/api/v1/auth/sessions/${adminSessions[0]!.id}` })).statusCode).toBe(404);

      const ended = await sendWithSession(rampart, adminSession, { method: 'DELETE', url: `/api/v1/users/${staff.userId}/sessions` });
      expect(ended.json()).toEqual({ ended: 2 });
      for (const session of [first, second, third]) expect((await getSession(session)).statusCode).toBe(401);
    });

    it('refuses state-changing requests without the right CSRF token or from another site, and needs no token with an API key', async () => {
      await start({ RAMPART_PUBLIC_URL: 'https://rampart.example.com' });
      const admin = await createStaff(rampart, { roleIds: ['admin'] });
      const session = await signInFully(rampart, admin);
      const other = await signInFully(rampart, admin);
      const createRole = (headers: Record<string, string>, withSession: TestSession | null = session) =>
        rampart.app.inject({
          method: 'POST',
          url: '/api/v1/roles',
          headers: { 'content-type': 'application/json', ...(withSession ? { cookie: withSession.cookie } : {}), ...headers },
          payload: JSON.stringify({ name: `Role ${Math.random()}`, permissions: ['audit.read'] }),
        });
      const refusedHeaders: Record<string, string>[] = [
        {},
        { 'x-csrf-token': 'not-the-token' },
        { 'x-csrf-token': other.csrfToken },
        { 'x-csrf-token': session.csrfToken, origin: 'https://evil.example' },
        { 'x-csrf-token': session.csrfToken, origin: 'null' },
        { 'x-csrf-token': session.csrfToken, 'sec-fetch-site': 'cross-site' },
        { 'x-csrf-token': session.csrfToken, 'sec-fetch-site': 'same-site' },
      ];
      for (const headers of refusedHeaders) {
        const refused = await createRole(headers);
        expect(refused.statusCode, JSON.stringify(headers)).toBe(403);
        expect(refused.json().code).toBe('CSRF_REJECTED');
      }
      expect(await rampart.database.db.selectFrom('roles').selectAll().execute()).toEqual([]);
      const accepted = await createRole({ 'x-csrf-token': session.csrfToken, origin: 'https://rampart.example.com', 'sec-fetch-site': 'same-origin' });
      expect(accepted.statusCode).toBe(201);
      // Reads need no token.
      expect((await rampart.app.inject({ method: 'GET', url: '/api/v1/roles', headers: { cookie: session.cookie } })).statusCode).toBe(200);
      // A cross-site page cannot sign someone in either (login CSRF).
      const crossSiteLogin = await postLogin(rampart, admin.email, admin.password, { headers: { origin: 'https://evil.example' } });
      expect(crossSiteLogin.json().code).toBe('CSRF_REJECTED');
      // API keys carry no ambient authority: no CSRF token needed.
      const { key } = await rampart.apiKeys.createApiKey('crm', ['messages:read']);
      const withKey = await rampart.app.inject({ method: 'POST', url: '/api/v1/messages', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, payload: '{}' });
      expect(withKey.json().code).toBe('FORBIDDEN');
    });

    it('keeps no session token or password in the sessions table', async () => {
      await start();
      const staff = await createStaff(rampart, { roleIds: ['agent'] });
      const login = await postLogin(rampart, staff.email, staff.password);
      const token = login.cookies.find((cookie) => cookie.name === 'rampart_session')!.value;
      const rows = await rampart.database.db.selectFrom('sessions').selectAll().execute();
      const dump = JSON.stringify(rows) + rows.map((row) => row.token_hash.toString('latin1')).join('');
      expect(dump).not.toContain(token);
      expect(dump).not.toContain(Buffer.from(token, 'base64url').toString('latin1'));
      const user = await rampart.database.db.selectFrom('users').selectAll().where('id', '=', staff.userId).executeTakeFirstOrThrow();
      expect(user.password_hash).toMatch(/^\$argon2id\$/);
      expect(user.password_hash).not.toContain(staff.password);
    });
  });
}
