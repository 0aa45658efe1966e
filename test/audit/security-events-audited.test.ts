import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSqliteDatabase } from '../support/databases.js';
import type { TestDatabase } from '../support/databases.js';
import { startTestGateway } from '../support/test-gateway.js';
import type { TestGateway } from '../support/test-gateway.js';

// Pins: identity's security events reach the real audit log through the composition root, with
// user ids (UUIDs) in their details, and no email or password in any entry.

describe('security events in the audit log of a running gateway', () => {
  let database: TestDatabase;
  let gateway: TestGateway;
  beforeAll(async () => {
    database = await createSqliteDatabase();
    gateway = await startTestGateway(database);
  });
  afterAll(async () => {
    await gateway.close();
    await database.drop();
  });

  it('records the first-admin bootstrap and failed logins as entries without personal data', async () => {
    const link = await gateway.rampart.identity.ensureBootstrapLink();
    const token = decodeURIComponent(/token=([^&]+)/.exec(link!)![1]!);
    const email = 'first.admin@example.com';
    const password = 'correct horse battery staple 42';
    const bootstrap = await fetch(`${gateway.url}/api/v1/auth/bootstrap`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token, email, displayName: 'First Admin', password }),
    });
    expect(bootstrap.status).toBeLessThan(300);
    const wrong = await fetch(`${gateway.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: 'not the password at all' }),
    });
    expect(wrong.status).toBe(401);

    const entries = await gateway.rampart.database.db.selectFrom('audit_entries').selectAll().orderBy('seq').execute();
    const actions = entries.map((entry) => `${entry.action}:${entry.outcome}`);
    expect(actions).toEqual(expect.arrayContaining(['auth.bootstrap:success', 'auth.login:failed']));
    const text = JSON.stringify(entries);
    for (const secret of [email, password, 'not the password at all', token]) expect(text).not.toContain(secret);
  });
});
