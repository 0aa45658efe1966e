import { afterEach, describe, expect, it } from 'vitest';
import { dialects, missingPostgresMessage } from '../support/databases.js';
import type { TestDatabase } from '../support/databases.js';
import { noteSkippedWhen } from '../support/skip-notice.js';
import { cookieHeaderFrom, startIdentityApp } from './support/identity-app.js';
import type { IdentityApp } from './support/identity-app.js';
import { createSoftwareAuthenticator } from './support/software-authenticator.js';
import { createStaff, postLogin, sendWithSession } from './support/staff.js';
import type { TestSession, TestStaff } from './support/staff.js';

noteSkippedWhen(!dialects[1]!.isAvailable, 'passkeys on postgres', missingPostgresMessage);

const PUBLIC_URL = 'https://rampart.example.com';

for (const dialect of dialects.filter((candidate) => candidate.isAvailable)) {
  describe(`passkeys with a software authenticator (${dialect.name})`, () => {
    let database: TestDatabase;
    let rampart: IdentityApp;

    afterEach(async () => {
      await rampart.close();
      await database.drop();
    });

    const start = async () => {
      database = await dialect.create();
      rampart = await startIdentityApp(database, { overrides: { RAMPART_PUBLIC_URL: PUBLIC_URL } });
    };
    const signInWithPassword = async (staff: TestStaff): Promise<TestSession> => {
      const login = await postLogin(rampart, staff.email, staff.password);
      return { cookie: cookieHeaderFrom(login), csrfToken: login.json().csrfToken as string };
    };
    const post = (session: TestSession, url: string, payload?: unknown) => sendWithSession(rampart, session, { method: 'POST', url, ...(payload === undefined ? {} : { payload }) });

    /** A user without a second factor registers a passkey from their pending session. */
    const registerPasskey = async () => {
      const staff = await createStaff(rampart, { roleIds: ['supervisor'], withTotp: false });
      const authenticator = createSoftwareAuthenticator({ origin: PUBLIC_URL, rpId: 'rampart.example.com' });
      const pending = await signInWithPassword(staff);
      const options = await post(pending, '/api/v1/auth/passkeys/registration-options');
      expect(options.statusCode).toBe(200);
      expect(options.json()).toMatchObject({ rp: { id: 'rampart.example.com' }, user: { name: staff.email } });
      const registered = await post(pending, '/api/v1/auth/passkeys/registration', { response: authenticator.createRegistration(options.json()), name: 'Laptop' });
      return { staff, authenticator, pending, registered };
    };

    it('registers a passkey as the first factor: recovery codes once, the session active under a new cookie', async () => {
      await start();
      const { pending, registered } = await registerPasskey();
      expect(registered.statusCode).toBe(200);
      expect(registered.json()).toMatchObject({ passkey: { name: 'Laptop' }, session: { session: { state: 'active' }, nextStep: 'none' } });
      expect(registered.json().recoveryCodes).toHaveLength(10);
      expect((await sendWithSession(rampart, pending, { method: 'GET', url: '/api/v1/auth/session' })).statusCode).toBe(401);
      const active = { cookie: cookieHeaderFrom(registered), csrfToken: registered.json().session.csrfToken as string };
      expect((await sendWithSession(rampart, active, { method: 'GET', url: '/api/v1/auth/mfa' })).json()).toMatchObject({ hasTotp: false, passkeys: [{ name: 'Laptop' }], hasSecondFactor: true });
    });

    it('signs in with password and passkey; a replayed or re-targeted assertion is refused', async () => {
      await start();
      const { staff, authenticator } = await registerPasskey();
      const pending = await signInWithPassword(staff);
      const options = (await post(pending, '/api/v1/auth/passkeys/authentication-options')).json() as { challenge: string; allowCredentials: { id: string }[] };
      expect(options.allowCredentials.map((credential) => credential.id)).toEqual([authenticator.credentialId]);
      const assertion = authenticator.createAssertion(options);

      const wrongOrigin = await post(pending, '/api/v1/auth/passkeys/authentication', { response: authenticator.createAssertion(options, { origin: 'https://evil.example' }) });
      expect(wrongOrigin.json().code).toBe('SECOND_FACTOR_INVALID');
      // That failure used up the challenge: the genuine assertion over it is refused too.
      expect((await post(pending, '/api/v1/auth/passkeys/authentication', { response: assertion })).json().code).toBe('SECOND_FACTOR_INVALID');

      const fresh = (await post(pending, '/api/v1/auth/passkeys/authentication-options')).json() as { challenge: string };
      const signedIn = await post(pending, '/api/v1/auth/passkeys/authentication', { response: authenticator.createAssertion(fresh) });
      expect(signedIn.statusCode).toBe(200);
      expect(signedIn.json()).toMatchObject({ session: { state: 'active' } });

      // A second pending session cannot reuse the same assertion (its challenge was another).
      const other = await signInWithPassword(staff);
      await post(other, '/api/v1/auth/passkeys/authentication-options');
      expect((await post(other, '/api/v1/auth/passkeys/authentication', { response: authenticator.createAssertion(fresh) })).statusCode).toBe(401);
    });

    it('refuses an assertion whose signature counter did not move (a cloned authenticator)', async () => {
      await start();
      const { staff, authenticator } = await registerPasskey();
      const first = await signInWithPassword(staff);
      const options = (await post(first, '/api/v1/auth/passkeys/authentication-options')).json() as { challenge: string };
      expect((await post(first, '/api/v1/auth/passkeys/authentication', { response: authenticator.createAssertion(options) })).statusCode).toBe(200);
      const second = await signInWithPassword(staff);
      const again = (await post(second, '/api/v1/auth/passkeys/authentication-options')).json() as { challenge: string };
      expect((await post(second, '/api/v1/auth/passkeys/authentication', { response: authenticator.createAssertion(again, { keepCounter: true }) })).statusCode).toBe(401);
    });

    it('refuses an assertion after its challenge expired', async () => {
      await start();
      const { staff, authenticator } = await registerPasskey();
      const pending = await signInWithPassword(staff);
      const options = (await post(pending, '/api/v1/auth/passkeys/authentication-options')).json() as { challenge: string };
      rampart.clock.advance(5 * 60_000 + 1);
      expect((await post(pending, '/api/v1/auth/passkeys/authentication', { response: authenticator.createAssertion(options) })).statusCode).toBe(401);
    });

    it('steps up a stale session with a passkey, which opens step-up routes again', async () => {
      await start();
      const { authenticator, registered } = await registerPasskey();
      const active = { cookie: cookieHeaderFrom(registered), csrfToken: registered.json().session.csrfToken as string };
      rampart.clock.advance(rampart.config.identity.stepUpMs + 1);
      const stale = await post(active, '/api/v1/auth/recovery-codes');
      expect(stale.json().code).toBe('STEP_UP_REQUIRED');
      const options = (await post(active, '/api/v1/auth/passkeys/authentication-options')).json() as { challenge: string };
      const stepUp = await post(active, '/api/v1/auth/step-up', { method: 'passkey', response: authenticator.createAssertion(options) });
      expect(stepUp.statusCode).toBe(200);
      expect(stepUp.json().session.stepUpValidUntil).toBe(rampart.clock.now() + rampart.config.identity.stepUpMs);
      expect((await post(active, '/api/v1/auth/recovery-codes')).statusCode).toBe(200);
    });

    it('will not remove the only second factor', async () => {
      await start();
      const { registered } = await registerPasskey();
      const active = { cookie: cookieHeaderFrom(registered), csrfToken: registered.json().session.csrfToken as string };
      const removed = await sendWithSession(rampart, active, { method: 'DELETE', url: `/api/v1/auth/passkeys/${registered.json().passkey.id as string}` });
      expect(removed.statusCode).toBe(409);
      expect(removed.json().code).toBe('LAST_SECOND_FACTOR');
    });
  });
}
