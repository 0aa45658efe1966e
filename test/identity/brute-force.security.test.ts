import { afterEach, describe, expect, it } from 'vitest';
import { throttleLimits } from '../../src/identity/login-throttle.js';
import { createSqliteDatabase, dialects, missingPostgresMessage } from '../support/databases.js';
import type { TestDatabase } from '../support/databases.js';
import { noteSkippedWhen } from '../support/skip-notice.js';
import { cookieHeaderFrom, createManualClock, startIdentityApp } from './support/identity-app.js';
import type { IdentityApp } from './support/identity-app.js';
import { createStaff, postLogin, sendWithSession } from './support/staff.js';

/**
 * Pins: password guessing stops after a few tries per account and per address, a lock does not
 * reveal whether an email exists, and the right password after all that still only opens a
 * pending-MFA session.
 */
noteSkippedWhen(!dialects[1]!.isAvailable, 'brute force on postgres', missingPostgresMessage);

const WINDOW = throttleLimits.sourceWindowMs;
/** One minute into a source window, so the sliding window's arithmetic is the same on every run. */
const alignedStart = () => Math.floor(Date.now() / WINDOW) * WINDOW + 60_000;

for (const dialect of dialects.filter((candidate) => candidate.isAvailable)) {
  describe(`brute force (${dialect.name})`, () => {
    let database: TestDatabase;
    let rampart: IdentityApp;

    afterEach(async () => {
      await rampart.close();
      await database.drop();
    });

    const start = async () => {
      database = await dialect.create();
      rampart = await startIdentityApp(database, { clock: createManualClock(alignedStart()) });
    };

    it('20 wrong passwords lock the account; during the lock even the right one gets "try later"; afterwards it still needs MFA', async () => {
      await start();
      const staff = await createStaff(rampart, { roleIds: ['admin'] });
      const answers: number[] = [];
      for (let attempt = 0; attempt < 20; attempt += 1) answers.push((await postLogin(rampart, staff.email, `wrong guess ${attempt}`, { remoteAddress: '203.0.113.7' })).statusCode);
      expect(answers.slice(0, throttleLimits.accountFailures)).toEqual(Array(throttleLimits.accountFailures).fill(401));
      expect(answers.slice(throttleLimits.accountFailures)).toEqual(Array(20 - throttleLimits.accountFailures).fill(429));

      // From another address too: the account is locked, whoever asks.
      const locked = await postLogin(rampart, staff.email, staff.password, { remoteAddress: '198.51.100.9' });
      expect(locked.statusCode).toBe(429);
      expect(locked.json()).toMatchObject({ code: 'LOGIN_THROTTLED', message: 'Too many sign-in attempts; try again later.' });
      expect(locked.headers['set-cookie']).toBeUndefined();
      expect(locked.headers['retry-after']).toBeUndefined();

      // An email nobody has locks the same way, with the same answer: a lock reveals nothing.
      for (let attempt = 0; attempt < throttleLimits.accountFailures; attempt += 1) await postLogin(rampart, 'nobody@example.com', `guess ${attempt}`, { remoteAddress: '192.0.2.44' });
      const unknownLocked = await postLogin(rampart, 'nobody@example.com', 'guess', { remoteAddress: '192.0.2.45' });
      expect(unknownLocked.statusCode).toBe(429);
      expect({ ...unknownLocked.json(), requestId: '' }).toEqual({ ...locked.json(), requestId: '' });

      expect(rampart.events.filter((event) => event.action === 'auth.lockout').map((event) => event.actor)).toEqual([{ kind: 'user', id: staff.userId }, { kind: 'anonymous' }]);

      rampart.clock.advance(throttleLimits.firstLockMs + 60_000);
      const afterLock = await postLogin(rampart, staff.email, staff.password, { remoteAddress: '203.0.113.7' });
      expect(afterLock.statusCode).toBe(200);
      expect(afterLock.json()).toMatchObject({ session: { state: 'pending-mfa' }, nextStep: 'verify-second-factor' });
      const pending = { cookie: cookieHeaderFrom(afterLock), csrfToken: afterLock.json().csrfToken as string };
      const users = await sendWithSession(rampart, pending, { method: 'GET', url: '/api/v1/users' });
      expect(users.statusCode).toBe(401);
      expect(users.json().code).toBe('MFA_REQUIRED');
    });

    it('each further lock lasts twice as long', async () => {
      await start();
      const staff = await createStaff(rampart, { roleIds: ['agent'] });
      const failTimes = async (count: number, address: string) => {
        for (let attempt = 0; attempt < count; attempt += 1) await postLogin(rampart, staff.email, 'not it at all', { remoteAddress: address });
      };
      await failTimes(throttleLimits.accountFailures, '203.0.113.1');
      rampart.clock.advance(throttleLimits.firstLockMs + 1_000);
      await failTimes(throttleLimits.accountFailures, '203.0.113.2');
      // The second lock is 30 minutes: 20 minutes in, still locked.
      rampart.clock.advance(20 * 60_000);
      expect((await postLogin(rampart, staff.email, staff.password, { remoteAddress: '203.0.113.3' })).statusCode).toBe(429);
      rampart.clock.advance(11 * 60_000);
      expect((await postLogin(rampart, staff.email, staff.password, { remoteAddress: '203.0.113.3' })).statusCode).toBe(200);
    });

    it('20 failures from one address throttle that address for every account, and only that address', async () => {
      await start();
      const staff = await createStaff(rampart, { roleIds: ['agent'] });
      for (let attempt = 0; attempt < throttleLimits.sourceFailures; attempt += 1) {
        expect((await postLogin(rampart, `someone-${attempt}@example.com`, 'a guess', { remoteAddress: '203.0.113.99' })).statusCode).toBe(401);
      }
      const throttled = await postLogin(rampart, staff.email, staff.password, { remoteAddress: '203.0.113.99' });
      expect(throttled.statusCode).toBe(429);
      expect((await postLogin(rampart, staff.email, staff.password, { remoteAddress: '203.0.113.100' })).statusCode).toBe(200);
      // The window slides: most of a window later the address may try again.
      rampart.clock.advance(WINDOW);
      expect((await postLogin(rampart, staff.email, staff.password, { remoteAddress: '203.0.113.99' })).statusCode).toBe(200);
    });

    it('parallel guesses cannot get more than the limit past the lock', async () => {
      await start();
      const staff = await createStaff(rampart, { roleIds: ['agent'] });
      const answers = await Promise.all(
        Array.from({ length: 30 }, (_, attempt) => postLogin(rampart, staff.email, `parallel ${attempt}`, { remoteAddress: `198.51.100.${attempt + 1}` })),
      );
      const verified = answers.filter((answer) => answer.statusCode === 401).length;
      expect(verified).toBe(throttleLimits.accountFailures);
      expect(answers.filter((answer) => answer.statusCode === 429)).toHaveLength(30 - throttleLimits.accountFailures);
    });

    it('wrong second factors end the pending session after five and count toward the account lock', async () => {
      await start();
      const staff = await createStaff(rampart, { roleIds: ['admin'] });
      const login = await postLogin(rampart, staff.email, staff.password);
      const pending = { cookie: cookieHeaderFrom(login), csrfToken: login.json().csrfToken as string };
      for (let attempt = 0; attempt < 5; attempt += 1) {
        const wrong = await sendWithSession(rampart, pending, { method: 'POST', url: '/api/v1/auth/totp/verify', payload: { code: attempt === 4 ? '999999' : `12345${attempt}` } });
        expect(wrong.json().code).toBe('SECOND_FACTOR_INVALID');
      }
      const ended = await sendWithSession(rampart, pending, { method: 'GET', url: '/api/v1/auth/session' });
      expect(ended.statusCode).toBe(401);
      // Five wrong codes plus five wrong passwords: the account locks at ten failures.
      for (let attempt = 0; attempt < 5; attempt += 1) await postLogin(rampart, staff.email, 'not the password');
      expect((await postLogin(rampart, staff.email, staff.password)).statusCode).toBe(429);
    });
  });
}

describe('sign-in timing', () => {
  let database: TestDatabase;
  let rampart: IdentityApp;

  afterEach(async () => {
    await rampart.close();
    await database.drop();
  });

  it('takes as long for an unknown email as for a wrong password (argon2id at production cost both ways)', async () => {
    database = await createSqliteDatabase();
    rampart = await startIdentityApp(database, { hashOptions: {} });
    const staff = await createStaff(rampart, { roleIds: ['agent'] });
    // The test's user was hashed at the test cost; give them a production-cost hash.
    const { createPasswordHasher } = await import('../../src/identity/password-hasher.js');
    await rampart.database.db.updateTable('users').set({ password_hash: await createPasswordHasher().hashPassword(staff.password) }).where('id', '=', staff.userId).execute();
    const time = async (email: string, address: string) => {
      const started = performance.now();
      const response = await postLogin(rampart, email, 'definitely wrong', { remoteAddress: address });
      expect(response.statusCode).toBe(401);
      return performance.now() - started;
    };
    await time('warm-up@example.com', '192.0.2.1');
    const known: number[] = [];
    const unknown: number[] = [];
    for (let round = 0; round < 3; round += 1) {
      known.push(await time(staff.email, `192.0.2.${10 + round}`));
      unknown.push(await time(`nobody-${round}@example.com`, `192.0.2.${20 + round}`));
    }
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[1]!;
    const ratio = median(unknown) / median(known);
    expect(ratio).toBeGreaterThan(0.6);
    expect(ratio).toBeLessThan(1.6);
  });
});
