import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { repoRoot } from './shared-fixtures.js';
import { testKmsSettings } from './test-kms.js';

export interface GatewayProcess {
  child: ChildProcess;
  /** Base URL, read from the "rampart is listening" log line. */
  url: string;
  output(): string;
  /** Resolves with the exit code or signal. */
  exited: Promise<string>;
}

/**
 * `rampart start` as its own process (TypeScript run through tsx), for tests that kill it.
 * Resolves once it is listening; rejects with its output if it exits first.
 */
export function spawnGateway(env: Record<string, string>, timeoutMs = 30_000, args: readonly string[] = []): Promise<GatewayProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/index.ts', 'start', ...args], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH ?? '', RAMPART_PORT: '0', RAMPART_LOG_LEVEL: 'info', ...testKmsSettings, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const exited = new Promise<string>((resolve) => child.on('exit', (code, signal) => resolve(signal ?? String(code))));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`gateway did not start within ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    const onData = () => {
      const match = /"webhook":"(https?:\/\/[^"]+)\/webhooks\/whatsapp"/.exec(output);
      if (!match) return;
      clearTimeout(timer);
      child.stdout.off('data', onData);
      resolve({ child, url: match[1]!, output: () => output, exited });
    };
    child.stdout.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`gateway exited (${code}) before listening:\n${output}`));
    });
  });
}
