import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { findFreePort } from './private-postgres.js';

/**
 * A throwaway redis-server of its own (its own port, no persistence), from the machine's installed
 * binary. Tests may kill and restart it at will: the machine's shared Redis is never touched.
 */
export interface PrivateRedis {
  readonly port: number;
  /** `redis://127.0.0.1:<port>`. */
  readonly url: string;
  isRunning(): boolean;
  /** SIGKILL: gone at once, connections reset, nothing saved (it saves nothing anyway). */
  stop(): Promise<void>;
  /** Starts it again, empty, on the same port; resolves once it answers PING. */
  start(): Promise<void>;
  logs(): string;
  destroy(): Promise<void>;
}

/** `redis-server` on PATH or in the usual places; null when absent. */
export function findRedisServer(): string | null {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter), '/usr/bin', '/usr/local/bin', '/usr/sbin', '/opt/homebrew/bin'];
  for (const dir of dirs) {
    const candidate = dir ? path.join(dir, 'redis-server') : '';
    if (candidate && existsSync(candidate)) return candidate;
  }
  return null;
}

export const missingRedisServerMessage = 'skipped: no redis-server binary on PATH or in /usr/bin, /usr/local/bin (CI has it)';

const READY_TIMEOUT_MS = 15_000;

export async function startPrivateRedis(): Promise<PrivateRedis> {
  const binary = findRedisServer();
  if (!binary) throw new Error(missingRedisServerMessage);
  const dir = mkdtempSync(path.join(tmpdir(), 'rampart-private-redis-'));
  const port = await findFreePort();
  let server: ChildProcess | null = null;
  let exited: Promise<void> = Promise.resolve();
  let output = '';
  const killOnExit = () => server?.kill('SIGKILL');
  process.on('exit', killOnExit);

  async function start(): Promise<void> {
    if (server) return;
    const child = spawn(
      binary!,
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--dir', dir, '--loglevel', 'warning'],
      { env: { PATH: process.env.PATH ?? '' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    server = child;
    exited = new Promise((resolve) =>
      child.on('exit', () => {
        if (server === child) server = null;
        resolve();
      }),
    );
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (!(await answersPing(port))) {
      if (server !== child) throw new Error(`private redis-server exited while starting:\n${output}`);
      if (Date.now() > deadline) throw new Error(`private redis-server not ready within ${READY_TIMEOUT_MS} ms:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  async function stop(): Promise<void> {
    const child = server;
    if (!child) return;
    child.kill('SIGKILL');
    await exited;
  }

  try {
    await start();
  } catch (error) {
    await stop();
    process.off('exit', killOnExit);
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    isRunning: () => server !== null,
    stop,
    start,
    logs: () => output,
    async destroy() {
      await stop();
      process.off('exit', killOnExit);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let reply = '';
    const finish = (isReady: boolean) => {
      socket.destroy();
      resolve(isReady);
    };
    socket.setTimeout(1_000, () => finish(false));
    socket.on('error', () => finish(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk: Buffer) => {
      reply += chunk.toString('utf8');
      if (reply.includes('\r\n')) finish(reply.startsWith('+PONG'));
    });
  });
}
