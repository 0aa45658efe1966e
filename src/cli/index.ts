import { Command } from 'commander';
import { registerMigrateCommand } from './migrate-command.js';
import { registerStartCommand } from './start-command.js';

const program = new Command()
  .name('rampart')
  .description('Security-first gateway between the WhatsApp Cloud API and your systems')
  .showHelpAfterError();

registerStartCommand(program);
registerMigrateCommand(program);

await program.parseAsync(process.argv);
