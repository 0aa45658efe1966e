import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';

/**
 * A throwaway PostgreSQL cluster of its own (initdb into a temp dir, its own port, trust auth,
 * its unix socket in the temp dir), built from the machine's installed server binaries. Tests
 * may stop, crash and restart it at will: the machine's shared server is never touched.
 */
export interface PrivatePostgres {
  readonly port: number;
  /** `postgres://postgres@127.0.0.1:<port>/postgres`. */
  readonly url: string;
  /** The server's major version (from the binaries' directory or `postgres --version`). */
  readonly version: string;
  isRunning(): boolean;
  /**
   * `immediate` (SIGQUIT): no checkpoint, clients cut at once; the next start replays the WAL,
   * as after a crash. `fast` (SIGINT): clients cut, then a clean checkpoint.
   */
  stop(mode?: 'immediate' | 'fast'): Promise<void>;
  /** Starts the server again on the same port and data; resolves once it answers a query. */
  start(): Promise<void>;
  /** What the server wrote to stderr, for failure messages. */
  logs(): string;
  /** Stops the server and removes its files. */
  destroy(): Promise<void>;
}

export interface PostgresBinaries {
  version: string;
  initdb: string;
  postgres: string;
}

/**
 * The installed server binaries: the newest `/usr/lib/postgresql/<version>/bin` (Debian, Ubuntu),
 * `/usr/pgsql-<version>/bin` (RHEL), else `initdb` and `postgres` found on PATH. Null when absent.
 */
export function findPostgresBinaries(): PostgresBinaries | null {
  const candidates: { version: string; dir: string }[] = [];
  for (const [root, pattern] of [
    ['/usr/lib/postgresql', /^(\d+(?:\.\d+)?)$/],
    ['/usr', /^pgsql-(\d+(?:\.\d+)?)$/],
  ] as const) {
    if (!existsSync(root)) continue;
    for (const entry of readdirSync(root)) {
      const match = pattern.exec(entry);
      if (match) candidates.push({ version: match[1]!, dir: path.join(root, entry, 'bin') });
    }
  }
  candidates.sort((a, b) => Number.parseFloat(b.version) - Number.parseFloat(a.version));
  for (const { version, dir } of candidates) {
    const binaries = { version, initdb: path.join(dir, 'initdb'), postgres: path.join(dir, 'postgres') };
    if (existsSync(binaries.initdb) && existsSync(binaries.postgres)) return binaries;
  }
  const initdb = findOnPath('initdb');
  const postgres = findOnPath('postgres');
  if (!initdb || !postgres) return null;
  const reported = spawnSync(postgres, ['--version'], { encoding: 'utf8' }).stdout ?? '';
  return { version: /(\d+(?:\.\d+)?)/.exec(reported)?.[1] ?? 'unknown', initdb, postgres };
}

/** Why a private cluster cannot be started here, or null when it can. */
export function explainMissingPostgres(): string | null {
  if (!findPostgresBinaries()) {
    return 'skipped: no PostgreSQL server binaries (initdb, postgres) in /usr/lib/postgresql/<version>/bin, /usr/pgsql-<version>/bin or on PATH (CI has them)';
  }
  if (isRoot() && !findServerUser()) return 'skipped: running as root and there is no `postgres` OS user to run a private PostgreSQL as (it refuses to run as root)';
  return null;
}

const READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 15_000;

/** initdb into a fresh temp dir and start the server on a free port. */
export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const binaries = findPostgresBinaries();
  if (!binaries) throw new Error(explainMissingPostgres() ?? 'no PostgreSQL binaries');
  // PostgreSQL refuses to run as root: as root, initdb and the server run as the `postgres` user
  // (spawned with its uid and gid directly, so the signals below reach the postmaster itself).
  const owner = isRoot() ? findServerUser() : null;
  if (isRoot() && !owner) throw new Error(explainMissingPostgres()!);
  const root = mkdtempSync(path.join(tmpdir(), 'rampart-private-pg-'));
  const dataDir = path.join(root, 'data');
  const socketDir = path.join(root, 'socket');
  mkdirSync(socketDir, { mode: 0o700 });
  if (owner) {
    chownSync(root, owner.uid, owner.gid);
    chownSync(socketDir, owner.uid, owner.gid);
  }
  const runAs = owner ? { uid: owner.uid, gid: owner.gid } : {};
  const env = { PATH: process.env.PATH ?? '', LANG: 'C', LC_ALL: 'C', TZ: 'UTC' };
  const initialised = spawnSync(binaries.initdb, ['-D', dataDir, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--locale=C', '--no-sync'], {
    ...runAs,
    env,
    encoding: 'utf8',
  });
  if (initialised.status !== 0) {
    rmSync(root, { recursive: true, force: true });
    throw new Error(`initdb failed (${initialised.status ?? initialised.signal}): ${initialised.stderr}${initialised.error?.message ?? ''}`);
  }
  const port = await findFreePort();
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  let server: ChildProcess | null = null;
  let exited: Promise<void> = Promise.resolve();
  let output = '';
  const killOnExit = () => server?.kill('SIGKILL');
  process.on('exit', killOnExit);

  async function start(): Promise<void> {
    if (server) return;
    const child = spawn(
      binaries!.postgres,
      [
        '-D', dataDir,
        '-p', String(port),
        '-k', socketDir,
        '-c', 'listen_addresses=127.0.0.1',
        '-c', 'max_connections=100',
        '-c', 'shared_buffers=32MB',
        // Durable as in production: a commit is flushed before the client hears of it.
        '-c', 'fsync=on',
        '-c', 'synchronous_commit=on',
        '-c', 'log_min_messages=warning',
      ],
      { ...runAs, env, stdio: ['ignore', 'pipe', 'pipe'] },
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
    while (!(await answersQuery(url))) {
      if (server !== child) throw new Error(`private PostgreSQL exited while starting:\n${output}`);
      if (Date.now() > deadline) throw new Error(`private PostgreSQL not ready within ${READY_TIMEOUT_MS} ms:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async function stop(mode: 'immediate' | 'fast' = 'fast'): Promise<void> {
    const child = server;
    if (!child) return;
    child.kill(mode === 'immediate' ? 'SIGQUIT' : 'SIGINT');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  }

  try {
    await start();
  } catch (error) {
    await stop('immediate');
    process.off('exit', killOnExit);
    rmSync(root, { recursive: true, force: true });
    throw error;
  }
  return {
    port,
    url,
    version: binaries.version,
    isRunning: () => server !== null,
    stop,
    start,
    logs: () => output,
    async destroy() {
      await stop('fast');
      process.off('exit', killOnExit);
      rmSync(root, { recursive: true, force: true });
    },
  };
}

async function answersQuery(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

function isRoot(): boolean {
  return process.getuid?.() === 0;
}

function findServerUser(): { uid: number; gid: number } | null {
  try {
    const line = readFileSync('/etc/passwd', 'utf8')
      .split('\n')
      .find((entry) => entry.startsWith('postgres:'));
    const [, , uid, gid] = line?.split(':') ?? [];
    return uid && gid ? { uid: Number(uid), gid: Number(gid) } : null;
  } catch {
    return null;
  }
}

function findOnPath(name: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir && existsSync(path.join(dir, name))) return path.join(dir, name);
  }
  return null;
}

/** A port nobody listens on right now (the kernel's pick for an ephemeral listener). */
export function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}
