import { readdirSync, readFileSync } from 'node:fs';

/** Linux /proc readings of a child process and of the machine; every reader returns null elsewhere. */

export interface RssSampler {
  /** Stops sampling; the largest resident set seen, in MiB, or null if none could be read. */
  stop(): number | null;
}

export interface CpuSpent {
  /** CPU time of the target process, every thread, user + system; null if unreadable. */
  targetSeconds: number | null;
  /** CPU time of this (the bench) process: autocannon and body signing. */
  loadGeneratorSeconds: number;
  /** CPU time of the local database server's processes, when one was named; null otherwise. */
  databaseSeconds: number | null;
  /** CPU time of every process on the machine; null if unreadable. */
  machineSeconds: number | null;
  wallSeconds: number;
}

const VM_RSS = /^VmRSS:\s+(\d+)\s+kB$/m;
/** USER_HZ: /proc reports CPU time in these ticks; 100 on every mainstream Linux architecture. */
const CLOCK_TICKS_PER_SECOND = 100;

/** Reads VmRSS of `pid` every `intervalMs` until stopped. */
export function sampleRss(pid: number, intervalMs = 200): RssSampler {
  let maxMb: number | null = null;
  const sample = () => {
    const mb = readRssMb(pid);
    if (mb !== null) maxMb = Math.max(maxMb ?? 0, mb);
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  let isStopped = false;
  return {
    stop() {
      if (!isStopped) sample();
      isStopped = true;
      clearInterval(timer);
      return maxMb;
    },
  };
}

/** The resident set of `pid` right now, in MiB. */
export function readRssMb(pid: number): number | null {
  const match = VM_RSS.exec(readProcFile(`/proc/${pid}/status`) ?? '');
  return match ? Number(match[1]) / 1024 : null;
}

/**
 * Starts counting CPU time of the target, of this process, of local processes named
 * `databaseCommand` (e.g. "postgres") and of the whole machine; `stop` reads the differences.
 */
export function startCpuStopwatch(pid: number, databaseCommand: string | null = null): { stop(): CpuSpent } {
  const startedAt = performance.now();
  const target = readProcessCpuSeconds(pid);
  const loadGenerator = process.cpuUsage();
  const database = databaseCommand === null ? null : readCommandCpuSeconds(databaseCommand);
  const machine = readMachineCpuSeconds();
  return {
    stop() {
      const targetNow = readProcessCpuSeconds(pid);
      const { user, system } = process.cpuUsage(loadGenerator);
      const databaseNow = databaseCommand === null ? null : readCommandCpuSeconds(databaseCommand);
      const machineNow = readMachineCpuSeconds();
      return {
        targetSeconds: target === null || targetNow === null ? null : targetNow - target,
        loadGeneratorSeconds: (user + system) / 1_000_000,
        databaseSeconds: database === null || databaseNow === null ? null : sumGrowth(database, databaseNow),
        machineSeconds: machine === null || machineNow === null ? null : machineNow - machine,
        wallSeconds: (performance.now() - startedAt) / 1000,
      };
    },
  };
}

/** CPU seconds of every process whose command name is `command`, by pid. */
export function readCommandCpuSeconds(command: string): Map<number, number> | null {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return null;
  }
  const seconds = new Map<number, number>();
  for (const entry of entries.filter((name) => /^\d+$/.test(name))) {
    if (readProcFile(`/proc/${entry}/comm`)?.trim() !== command) continue;
    const cpu = readProcessCpuSeconds(Number(entry));
    if (cpu !== null) seconds.set(Number(entry), cpu);
  }
  return seconds;
}

/** Growth per pid; a process that started meanwhile counts from zero, one that ended is lost. */
function sumGrowth(before: ReadonlyMap<number, number>, after: ReadonlyMap<number, number>): number {
  let total = 0;
  for (const [pid, seconds] of after) total += seconds - (before.get(pid) ?? 0);
  return total;
}

/** utime + stime of every thread, from /proc/<pid>/stat (fields 14 and 15). */
export function readProcessCpuSeconds(pid: number): number | null {
  const stat = readProcFile(`/proc/${pid}/stat`);
  if (stat === null) return null;
  // The command name (field 2) may hold spaces and parentheses: count fields after its closing ")".
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return Number.isFinite(ticks) ? ticks / CLOCK_TICKS_PER_SECOND : null;
}

/** Busy time of all cores since boot, from the "cpu" line of /proc/stat (everything but idle and iowait). */
function readMachineCpuSeconds(): number | null {
  const line = readProcFile('/proc/stat')?.split('\n', 1)[0];
  if (line === undefined) return null;
  const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
  const ticks = [user, nice, system, irq, softirq, steal].reduce<number>((total, value) => total + (value ?? 0), 0);
  return Number.isFinite(ticks) ? ticks / CLOCK_TICKS_PER_SECOND : null;
}

function readProcFile(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}
