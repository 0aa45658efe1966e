// Test-only entry: `rampart templates …` without the rest of the CLI (src/cli/index.ts wires the real one).
import { Command } from 'commander';
import { registerTemplatesCommand } from '../../../src/cli/templates-command.js';

const program = new Command().name('rampart').showHelpAfterError();
registerTemplatesCommand(program);
await program.parseAsync(process.argv);
