import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TotpAlgorithm } from '../../src/identity/totp-code.js';
import { createSqliteDatabase } from '../support/databases.js';
import type { TestDatabase } from '../support/databases.js';
import { hasShared, missingSharedMessage, sharedDir } from '../support/shared-fixtures.js';
import { noteSkippedWhen } from '../support/skip-notice.js';
import { cookieHeaderFrom, createManualClock, startIdentityApp } from './support/identity-app.js';
import type { IdentityApp } from './support/identity-app.js';
import { createStaff, postLogin, sendWithSession } from './support/staff.js';

interface TotpVector {
  time: number;
  algorithm: 'SHA-1' | 'SHA-256' | 'SHA-512';
  secretAscii: string;
  digits: number;
  period: number;
  totp: string;
}

noteSkippedWhen(!hasShared, 'RFC 6238 TOTP vectors', missingSharedMessage);

const vectors: TotpVector[] = hasShared ? (JSON.parse(readFileSync(path.join(sharedDir, 'vectors', 'rfc6238-totp.json'), 'utf8')) as { vectors: TotpVector[] }).vectors : [];

describe.runIf(hasShared)('TOTP against the RFC 6238 vectors, through sign-in', () => {
  let database: TestDatabase;
  let rampart: IdentityApp;

  beforeAll(async () => {
    database = await createSqliteDatabase();
    rampart = await startIdentityApp(database, { clock: createManualClock(0) });
  });

  afterAll(async () => {
    await rampart?.close();
    await database?.drop();
  });

  /** A user whose stored TOTP credential holds the vector's secret and parameters, signed in with the password. */
  async function pendingSessionFor(vector: TotpVector) {
    rampart.clock.set(vector.time * 1000);
    const staff = await createStaff(rampart, { roleIds: ['agent'], withTotp: false });
    await rampart.identity.totp.storeCredential({
      id: randomUUID(),
      userId: staff.userId,
      state: 'active',
      parameters: { secret: Buffer.from(vector.secretAscii, 'ascii'), algorithm: vector.algorithm.replace('-', '') as TotpAlgorithm, digits: vector.digits, period: vector.period },
    });
    const signIn = async () => {
      const login = await postLogin(rampart, staff.email, staff.password);
      expect(login.json()).toMatchObject({ nextStep: 'verify-second-factor' });
      return { cookie: cookieHeaderFrom(login), csrfToken: login.json().csrfToken as string };
    };
    return { signIn };
  }

  it.each(vectors.map((vector) => [`${vector.algorithm} at ${vector.time}`, vector] as const))('accepts the vector code %s once, and refuses it the second time', async (_name, vector) => {
    const { signIn } = await pendingSessionFor(vector);
    const first = await signIn();
    const accepted = await sendWithSession(rampart, first, { method: 'POST', url: '/api/v1/auth/totp/verify', payload: { code: vector.totp } });
    expect(accepted.statusCode).toBe(200);
    expect(accepted.json()).toMatchObject({ session: { state: 'active' }, nextStep: 'none' });

    const second = await signIn();
    const replayed = await sendWithSession(rampart, second, { method: 'POST', url: '/api/v1/auth/totp/verify', payload: { code: vector.totp } });
    expect(replayed.statusCode).toBe(401);
    expect(replayed.json().code).toBe('SECOND_FACTOR_INVALID');
  });

  it('accepts a code one step either side of now and refuses one two steps away', async () => {
    const vector = vectors.find((candidate) => candidate.time === 1111111109 && candidate.algorithm === 'SHA-1')!;
    // The vector's time step, seen from one step later (accepted), then from two steps later (refused).
    for (const [offsetSteps, status] of [[1, 200], [2, 401]] as const) {
      const { signIn } = await pendingSessionFor(vector);
      const session = await signIn();
      rampart.clock.set(vector.time * 1000 + offsetSteps * vector.period * 1000);
      const response = await sendWithSession(rampart, session, { method: 'POST', url: '/api/v1/auth/totp/verify', payload: { code: vector.totp } });
      expect(response.statusCode).toBe(status);
    }
  });
});
