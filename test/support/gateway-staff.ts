import { randomBytes } from 'node:crypto';
import type { Rampart } from '../../src/main.js';

/**
 * A signed-in staff session on a gateway built by the real composition root (`startTestGateway`),
 * opened in the store as the permission matrix does (sign-in itself is tested in test/identity).
 */
export async function openGatewaySession(rampart: Rampart, roleIds: string[]): Promise<{ userId: string; email: string; cookie: string; csrfToken: string }> {
  const email = `${roleIds.join('-')}-${randomBytes(4).toString('hex')}@example.com`;
  const userId = await rampart.identity.users.insertUser(rampart.database.db, { email, displayName: 'Test Person', roleIds, passwordHash: null });
  const issued = await rampart.identity.sessions.createSession(rampart.database.db, { userId, state: 'active', origin: { sourceAddress: '127.0.0.1', requestId: null, userAgent: null } });
  return { userId, email, cookie: `rampart_session=${issued.token}`, csrfToken: issued.session.csrfToken };
}
