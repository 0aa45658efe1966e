import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { registerMigrateCommand } from './migrate-command.js';
import { registerStartCommand } from './start-command.js';

// The same relative path from src/cli (tsx) and dist/cli (built).
const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

const program = new Command()
  .name('rampart')
  .version(version)
  .description('Security-first gateway between the WhatsApp Cloud API and your systems')
  .showHelpAfterError();

registerStartCommand(program);
registerMigrateCommand(program);

await program.parseAsync(process.argv);
