import { Command } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { registerUsersCommand } from '../../src/cli/users-command.js';
import { createDatabase } from '../../src/db/database.js';
import { createSqliteDatabase } from '../support/databases.js';
import type { TestDatabase } from '../support/databases.js';
import { startIdentityApp } from './support/identity-app.js';
import { sendWithSession } from './support/staff.js';

describe('rampart users add', () => {
  let database: TestDatabase;

  afterEach(async () => {
    vi.restoreAllMocks();
    vi.unstubAllEnvs();
    await database.drop();
  });

  it('creates a user without a password and prints a one-time setup link that works in the gateway', async () => {
    database = await createSqliteDatabase();
    vi.stubEnv('RAMPART_DATA_DIR', database.dataDir);
    vi.stubEnv('RAMPART_PUBLIC_URL', 'https://rampart.example.com');
    const output: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      output.push(String(chunk));
      return true;
    });
    const program = new Command().exitOverride();
    registerUsersCommand(program);
    await program.parseAsync(['node', 'rampart', 'users', 'add', '--email', 'Ops@Example.com', '--role', 'admin']);
    const printed = output.join('');
    const link = /https:\/\/rampart\.example\.com(\/setup#token=([A-Za-z0-9_-]{43}))/.exec(printed);
    expect(link).not.toBeNull();
    vi.restoreAllMocks();

    const { db } = createDatabase({ kind: 'sqlite', path: `${database.dataDir}/rampart.sqlite` });
    const user = await db.selectFrom('users').selectAll().executeTakeFirstOrThrow();
    await db.destroy();
    expect(user).toMatchObject({ email: 'ops@example.com', display_name: 'Ops', password_hash: null });

    const rampart = await startIdentityApp(database);
    try {
      // Users exist: no bootstrap link; the printed link sets the password.
      expect(await rampart.identity.ensureBootstrapLink()).toBeNull();
      const setUp = await sendWithSession(rampart, null, { method: 'POST', url: '/api/v1/auth/setup', payload: { token: link![2], password: 'operations passphrase' } });
      expect(setUp.json()).toMatchObject({ user: { email: 'ops@example.com', roleIds: ['admin'] }, nextStep: 'enrol-second-factor' });
    } finally {
      await rampart.close();
    }
  });
});
