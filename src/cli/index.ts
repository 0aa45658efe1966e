import { Command } from 'commander';
import { registerAuditCommand } from './audit-command.js';
import { version } from '../version.js';
import { registerKeysCommand } from './keys-command.js';
import { registerMigrateCommand } from './migrate-command.js';
import { registerOutboxCommand } from './outbox-command.js';
import { registerSandboxCommand } from './sandbox-command.js';
import { registerUsersCommand } from './users-command.js';
import { registerStartCommand } from './start-command.js';
import { registerTemplatesCommand } from './templates-command.js';

const program = new Command()
  .name('rampart')
  .version(version)
  .description('Security-first gateway between the WhatsApp Cloud API and your systems')
  .showHelpAfterError();

registerStartCommand(program);
registerAuditCommand(program);
registerMigrateCommand(program);
registerKeysCommand(program);
registerSandboxCommand(program);
registerOutboxCommand(program);
registerUsersCommand(program);
registerTemplatesCommand(program);

await program.parseAsync(process.argv);
