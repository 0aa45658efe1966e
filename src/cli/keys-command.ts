import type { Command } from 'commander';
import { systemClock } from '../clock.js';
import { loadDatabaseConfig } from '../config/load-config.js';
import { createDatabase } from '../db/database.js';
import type { Db } from '../db/database.js';
import { migrateToLatest } from '../db/migrate.js';
import { apiKeyScopes, createApiKeyService } from '../identity/api-key-service.js';
import type { ApiKeySummary } from '../identity/api-key-service.js';
import { exitWithError } from './fail.js';
import { registerKekCommands } from './kek-command.js';

/** `rampart keys …`: API keys for the business's services, and rotation of the key-encryption key. */
export function registerKeysCommand(program: Command): void {
  const keys = program.command('keys').description('manage API keys and rotate the key-encryption key');
  registerKekCommands(keys);

  keys
    .command('create-api-key')
    .description('create an API key; it is printed once, as the last line of output, and stored only as a hash')
    .requiredOption('--name <name>', 'what the key is for, e.g. "crm"')
    .requiredOption('--scopes <scopes>', `comma-separated: ${apiKeyScopes.join(', ')}`)
    .action((options: { name: string; scopes: string }) =>
      withApiKeys(async (service) => {
        const scopes = options.scopes.split(',').map((scope) => scope.trim()).filter((scope) => scope.length > 0);
        const { key, summary } = await service.createApiKey(options.name, scopes);
        process.stdout.write(`created API key ${summary.id} "${summary.name}" with scopes ${summary.scopes.join(', ')}\n`);
        process.stdout.write('store it now: it cannot be shown again\n');
        process.stdout.write(`${key}\n`);
      }),
    );

  keys
    .command('list-api-keys')
    .description('list API keys (prefix, scopes, last use; never the key)')
    .action(() =>
      withApiKeys(async (service) => {
        const all = await service.listApiKeys();
        if (all.length === 0) process.stdout.write('no API keys\n');
        for (const summary of all) process.stdout.write(`${describe(summary)}\n`);
      }),
    );

  keys
    .command('revoke-api-key <idOrPrefix>')
    .description('revoke an API key by id or by its displayed prefix; it stops working at once')
    .action((idOrPrefix: string) =>
      withApiKeys(async (service) => {
        const summary = await service.revokeApiKey(idOrPrefix);
        process.stdout.write(`revoked ${describe(summary)}\n`);
      }),
    );
}

async function withApiKeys(work: (service: ReturnType<typeof createApiKeyService>) => Promise<void>): Promise<void> {
  let db: Db | null = null;
  try {
    const database = createDatabase(loadDatabaseConfig());
    db = database.db;
    await migrateToLatest(database.db);
    await work(createApiKeyService({ db: database.db, clock: systemClock }));
  } catch (error) {
    await db?.destroy();
    exitWithError(error);
  }
  await db.destroy();
}

function describe(summary: ApiKeySummary): string {
  const state = summary.revokedAt === null ? 'active' : `revoked ${new Date(summary.revokedAt).toISOString()}`;
  const lastUsed = summary.lastUsedAt === null ? 'never used' : `last used ${new Date(summary.lastUsedAt).toISOString()}`;
  return `${summary.id}  ${summary.displayPrefix}…  "${summary.name}"  ${summary.scopes.join(',')}  ${state}, ${lastUsed}`;
}
