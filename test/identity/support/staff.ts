import { randomBytes, randomUUID } from 'node:crypto';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { createPasswordHasher } from '../../../src/identity/password-hasher.js';
import { enrolmentParameters, generateTotpCode } from '../../../src/identity/totp-code.js';
import type { IdentityApp } from './identity-app.js';
import { cookieHeaderFrom, fastHashOptions } from './identity-app.js';

export interface TestStaff {
  userId: string;
  email: string;
  password: string;
  totpSecret: Buffer | null;
}

export interface TestSession {
  cookie: string;
  csrfToken: string;
}

const hasher = createPasswordHasher(fastHashOptions);

/** A user with a known password and (by default) a confirmed TOTP with a known secret. */
export async function createStaff(app: IdentityApp, { email, roleIds, withTotp = true }: { email?: string; roleIds: string[]; withTotp?: boolean }): Promise<TestStaff> {
  const address = email ?? `${roleIds.join('-') || 'nobody'}-${randomBytes(4).toString('hex')}@example.com`;
  const password = `plum ${randomBytes(6).toString('hex')} lantern`;
  const userId = await app.identity.users.insertUser(app.database.db, { email: address, displayName: 'Test Person', roleIds, passwordHash: await hasher.hashPassword(password) });
  let totpSecret: Buffer | null = null;
  if (withTotp) {
    totpSecret = randomBytes(20);
    await app.identity.totp.storeCredential({ id: randomUUID(), userId, state: 'active', parameters: { secret: Buffer.from(totpSecret), ...enrolmentParameters } });
  }
  return { userId, email: address, password, totpSecret };
}

export function currentTotpCode(app: IdentityApp, staff: TestStaff): string {
  return generateTotpCode({ secret: staff.totpSecret!, ...enrolmentParameters }, app.clock.now());
}

export async function postLogin(app: IdentityApp, email: string, password: string, options: { headers?: Record<string, string>; remoteAddress?: string } = {}): Promise<LightMyRequestResponse> {
  return app.app.inject({
    method: 'POST',
    url: '/api/v1/auth/login',
    headers: { 'content-type': 'application/json', ...options.headers },
    payload: JSON.stringify({ email, password }),
    ...(options.remoteAddress ? { remoteAddress: options.remoteAddress } : {}),
  });
}

/** Password, then TOTP, through HTTP as the dashboard does it. The clock moves one step first, so no code is a replay. */
export async function signInFully(app: IdentityApp, staff: TestStaff): Promise<TestSession> {
  const login = await postLogin(app, staff.email, staff.password);
  if (login.statusCode !== 200) throw new Error(`login failed: ${login.statusCode} ${login.body}`);
  const pending = { cookie: cookieHeaderFrom(login), csrfToken: (login.json() as { csrfToken: string }).csrfToken };
  app.clock.advance(30_000);
  const verified = await sendWithSession(app, pending, { method: 'POST', url: '/api/v1/auth/totp/verify', payload: { code: currentTotpCode(app, staff) } });
  if (verified.statusCode !== 200) throw new Error(`TOTP verification failed: ${verified.statusCode} ${verified.body}`);
  return { cookie: cookieHeaderFrom(verified), csrfToken: (verified.json() as { csrfToken: string }).csrfToken };
}

/** A session opened directly in the store (the permission matrix needs hundreds; sign-in itself is tested elsewhere). */
export async function openSession(app: IdentityApp, userId: string, state: 'active' | 'pending-mfa' = 'active'): Promise<TestSession> {
  const issued = await app.identity.sessions.createSession(app.database.db, { userId, state, origin: { sourceAddress: '127.0.0.1', requestId: null, userAgent: null } });
  return { cookie: `rampart_session=${issued.token}`, csrfToken: issued.session.csrfToken };
}

/** A request as the dashboard sends it: cookie, CSRF header, JSON body. */
export async function sendWithSession(
  app: IdentityApp,
  session: TestSession | null,
  request: { method: InjectOptions['method']; url: string; payload?: unknown; headers?: Record<string, string> },
): Promise<LightMyRequestResponse> {
  const headers: Record<string, string> = { ...(session ? { cookie: session.cookie, 'x-csrf-token': session.csrfToken } : {}), ...request.headers };
  if (request.payload !== undefined) headers['content-type'] = 'application/json';
  return app.app.inject({ method: request.method, url: request.url, headers, ...(request.payload !== undefined ? { payload: JSON.stringify(request.payload) } : {}) });
}
