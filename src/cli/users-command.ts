import type { Command } from 'commander';
import { systemClock } from '../clock.js';
import { loadDatabaseConfig, loadIdentityConfig } from '../config/load-config.js';
import { createDatabase } from '../db/database.js';
import type { Db } from '../db/database.js';
import { migrateToLatest } from '../db/migrate.js';
import { builtInRoleIds } from '../identity/permissions.js';
import { createRoleService } from '../identity/role-service.js';
import { createSetupLinks, SETUP_LINK_LIFETIME_MS } from '../identity/setup-links.js';
import { createUserRecord } from '../identity/user-records.js';
import { exitWithError } from './fail.js';

/** `rampart users …`: staff accounts for scripts (the dashboard does the rest). */
export function registerUsersCommand(program: Command): void {
  const users = program.command('users').description('manage dashboard users');

  users
    .command('add')
    .description('create a user and print a one-time setup link (no password on the command line: the user sets it through the link)')
    .requiredOption('--email <email>', 'the login name')
    .requiredOption('--role <roles>', `comma-separated role ids: ${builtInRoleIds.join(', ')} or a custom role's id`)
    .option('--name <displayName>', 'the name shown in the dashboard (default: the part of the email before @)')
    .action((options: { email: string; role: string; name?: string }) =>
      withDatabase(async (db) => {
        const publicUrl = loadIdentityConfig().publicUrl;
        const roleIds = options.role.split(',').map((role) => role.trim()).filter((role) => role.length > 0);
        const displayName = options.name ?? options.email.split('@')[0] ?? options.email;
        const { userId, setupPath } = await addUser(db, { email: options.email, displayName, roleIds });
        process.stdout.write(`created user ${userId} with role(s) ${roleIds.join(', ')}\n`);
        process.stdout.write(`send them this one-time link (valid ${SETUP_LINK_LIFETIME_MS / 3_600_000} hours) to set a password and a second factor:\n`);
        process.stdout.write(`${publicUrl}${setupPath}\n`);
      }),
    );

  users
    .command('list')
    .description('list users (id, status, roles; emails are shown to the operator only)')
    .action(() =>
      withDatabase(async (db) => {
        const rows = await db.selectFrom('users').select(['id', 'email', 'status', 'password_hash']).orderBy('created_at').execute();
        if (rows.length === 0) process.stdout.write('no users yet: start the gateway for the bootstrap link, or use `rampart users add`\n');
        for (const row of rows) {
          const roles = await db.selectFrom('user_roles').select('role_id').where('user_id', '=', row.id).execute();
          const state = row.password_hash === null ? `${row.status}, setup pending` : row.status;
          process.stdout.write(`${row.id}  ${row.email}  ${state}  ${roles.map((role) => role.role_id).join(',')}\n`);
        }
      }),
    );
}

/** The same rules as `POST /api/v1/users`: a known role, a free email, no password until the link is used. */
async function addUser(db: Db, input: { email: string; displayName: string; roleIds: string[] }): Promise<{ userId: string; setupPath: string }> {
  const roles = createRoleService({ db, clock: systemClock });
  const setupLinks = createSetupLinks({ db, clock: systemClock });
  return db.transaction().execute(async (trx) => {
    const userId = await createUserRecord(trx, { roles, clock: systemClock }, { ...input, passwordHash: null });
    return { userId, setupPath: await setupLinks.createPasswordLink(userId, trx) };
  });
}

async function withDatabase(work: (db: Db) => Promise<void>): Promise<void> {
  let db: Db | null = null;
  try {
    const database = createDatabase(loadDatabaseConfig());
    db = database.db;
    await migrateToLatest(database.db);
    await work(database.db);
  } catch (error) {
    await db?.destroy();
    exitWithError(error);
  }
  await db.destroy();
}
