// Test-only entry: `rampart sandbox …` without the rest of the CLI (src/cli/index.ts wires the real one).
import { Command } from 'commander';
import { registerSandboxCommand } from '../../../src/cli/sandbox-command.js';

const program = new Command().name('rampart').showHelpAfterError();
registerSandboxCommand(program);
await program.parseAsync(process.argv);
