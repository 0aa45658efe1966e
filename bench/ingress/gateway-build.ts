import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { GatewayRuntime } from './bench-settings.js';
import { repoRoot } from './child-process.js';
import type { CleanupStack } from './cleanup-stack.js';

export interface GatewayEntry {
  /** The CLI entry to run with `start`. */
  script: string;
  isTypeScript: boolean;
}

const runFile = promisify(execFile);

/**
 * How the gateway is run. `tsx` (the default) runs the working tree's TypeScript like the tests do;
 * its loader thread adds about 50 MB of RSS and nothing per request. `compiled` builds the working
 * tree with tsc into a temp dir first, as `npm run build` would, and runs plain JavaScript as
 * production does — without touching dist/.
 */
export async function prepareGatewayEntry(runtime: GatewayRuntime, cleanup: CleanupStack): Promise<GatewayEntry> {
  if (runtime === 'tsx') return { script: 'src/cli/index.ts', isTypeScript: true };
  const buildDir = mkdtempSync(path.join(tmpdir(), 'rampart-bench-build-'));
  cleanup.defer('remove the compiled gateway', () => rmSync(buildDir, { recursive: true, force: true }));
  const outDir = path.join(buildDir, 'out');
  mkdirSync(outDir);
  const tsc = path.join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
  await runFile(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--outDir', outDir, '--sourceMap', 'false'], { cwd: repoRoot });
  // Laid out like the checkout (out/ in place of dist/): the CLI reads ../../package.json, and
  // packages and the module type resolve as they would there.
  copyFileSync(path.join(repoRoot, 'package.json'), path.join(buildDir, 'package.json'));
  symlinkSync(path.join(repoRoot, 'node_modules'), path.join(buildDir, 'node_modules'), 'dir');
  return { script: path.join(outDir, 'cli', 'index.js'), isTypeScript: false };
}
