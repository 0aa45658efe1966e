import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Keep the tail of a child's output for error messages, never all of it. */
const MAX_OUTPUT_CHARS = 64 * 1024;

export interface ChildHandle {
  readonly pid: number;
  /** The last lines the child wrote to stdout and stderr. */
  output(): string;
  hasExited(): boolean;
  /** Resolves with the exit code or signal. */
  readonly exited: Promise<string>;
  /** SIGTERM (a graceful stop), then SIGKILL if it is still running after `graceMs`. */
  stop(graceMs?: number): Promise<string>;
}

export interface SpawnNodeOptions {
  /** Entry file, absolute or relative to the repository root. */
  script: string;
  /** TypeScript source run through `--import tsx`, like `test/support/gateway-process.ts`; else plain JavaScript. */
  isTypeScript: boolean;
  args?: readonly string[];
  env: Record<string, string>;
  /** Extra `node` flags, e.g. `--cpu-prof`. */
  nodeArgs?: readonly string[];
}

/** A Node.js entry point run as its own process, with only the environment given (and PATH). */
export function spawnNode({ script, isTypeScript, args = [], env, nodeArgs = [] }: SpawnNodeOptions): ChildHandle {
  const loader = isTypeScript ? ['--import', 'tsx'] : [];
  const child = spawn(process.execPath, [...nodeArgs, ...loader, script, ...args], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error(`could not spawn ${script}`);
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-MAX_OUTPUT_CHARS);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  let hasExited = false;
  const exited = new Promise<string>((resolve) =>
    child.on('exit', (code, signal) => {
      hasExited = true;
      resolve(signal ?? String(code));
    }),
  );

  async function stop(graceMs = 15_000): Promise<string> {
    if (hasExited) return exited;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    try {
      return await exited;
    } finally {
      clearTimeout(timer);
    }
  }

  return { pid: child.pid, output: () => output, hasExited: () => hasExited, exited, stop };
}

/** A port that was free a moment ago (the gateway logs its address only at info level). */
export async function findFreePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('could not find a free port');
  return address.port;
}

/** Polls `readyUrl` until it answers 200; fails with the child's output if it exits or takes too long. */
export async function waitUntilReady(child: ChildHandle, readyUrl: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.hasExited()) throw new Error(`exited (${await child.exited}) before it was ready:\n${child.output()}`);
    const isReady = await fetch(readyUrl, { signal: AbortSignal.timeout(1_000) }).then(
      (response) => response.status === 200,
      () => false,
    );
    if (isReady) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await child.stop();
  throw new Error(`not ready within ${timeoutMs} ms:\n${child.output()}`);
}
