import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import pg from 'pg';

/**
 * Which PostgreSQL processes work for the gateways under test: the client backends whose client
 * port is one of the gateways' open TCP sockets (from /proc), and the server's background
 * processes (WAL writer, checkpointer, …), which work for every client but mostly for the one
 * committing thousands of transactions a second. Everything else named `postgres` on the machine
 * (other clients of the server, other clusters) is counted apart, as the machine's share.
 */
export interface ServingProcesses {
  /** Client backends connected from the given processes. */
  backends: number[];
  /** Non-client processes the server lists (pg_stat_activity.backend_type other than client backend). */
  background: number[];
}

/** Queries pg_stat_activity for the backends of `clientPids` (local processes) and the server's background processes. */
export async function findServingProcesses(postgresUrl: string, clientPids: readonly number[]): Promise<ServingProcesses> {
  const ports = new Set(clientPids.flatMap((pid) => [...readLocalTcpPorts(pid)]));
  const client = new pg.Client({ connectionString: postgresUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ pid: number; client_port: number | null; backend_type: string }>(
      'select pid, client_port, backend_type from pg_stat_activity where pid <> pg_backend_pid()',
    );
    return {
      backends: rows.filter((row) => row.backend_type === 'client backend' && row.client_port !== null && ports.has(row.client_port)).map((row) => row.pid),
      background: rows.filter((row) => row.backend_type !== 'client backend').map((row) => row.pid),
    };
  } finally {
    await client.end();
  }
}

/** Local ports of the TCP sockets `pid` holds: its socket inodes (/proc/<pid>/fd) looked up in /proc/<pid>/net/tcp{,6}. */
export function readLocalTcpPorts(pid: number): Set<number> {
  const inodes = new Set<string>();
  let fds: string[] = [];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return new Set();
  }
  for (const fd of fds) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (match) inodes.add(match[1]!);
    } catch {
      // The descriptor closed meanwhile.
    }
  }
  const ports = new Set<number>();
  for (const table of ['tcp', 'tcp6']) {
    let text = '';
    try {
      text = readFileSync(`/proc/${pid}/net/${table}`, 'utf8');
    } catch {
      continue;
    }
    // Columns: sl, local_address (hex address:hex port), rem_address, st, …, inode (the tenth).
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields.length < 10 || !inodes.has(fields[9]!)) continue;
      ports.add(Number.parseInt(fields[1]!.split(':')[1]!, 16));
    }
  }
  return ports;
}
