import { randomBytes } from 'node:crypto';
import type { TargetName } from './bench-settings.js';
import { startTarget } from './bench-targets.js';
import type { StartedTarget, StoredCounts, TargetContext } from './bench-targets.js';
import { runLoadPhase } from './load-phase.js';
import type { LoadPhaseResult } from './load-phase.js';
import { readRssMb, sampleRss, startCpuStopwatch } from './process-sampler.js';
import type { CpuSpent, RssSampler } from './process-sampler.js';
import { createWebhookBodySource } from './webhook-body-source.js';

/**
 * exact: every stored message was acknowledged and every acknowledgement is stored.
 * in-flight: as exact, plus a few stored requests whose answer the load generator never read because
 *   it hung up at the end of a phase (at most the requests in flight then).
 * lost: fewer messages stored than acknowledged — a 200 without a durable row.
 * unexpected: more stored than acknowledged plus in flight — a refused request was stored anyway.
 */
export type StorageVerdict = 'exact' | 'in-flight' | 'lost' | 'unexpected';

export interface StorageCheck {
  storedMessages: number;
  storedContacts: number;
  /** 2xx answers over warm-up and measured run. */
  acknowledged: number;
  /** Requests sent but unanswered when the load generator stopped. */
  unanswered: number;
  verdict: StorageVerdict;
}

export interface CpuUse {
  /** CPU time of the target over the measured run, as a share of one core (100 = one core busy). */
  targetPercent: number;
  /** The same for the bench process (autocannon and body signing), which shares the machine. */
  loadGeneratorPercent: number;
  /** The local PostgreSQL server's processes (rampart-postgres only; null for a remote server or other targets). */
  databasePercent: number | null;
  /** Everything else on the machine: noise from other work; the figures are unreliable when it is high. */
  restOfMachinePercent: number | null;
  /** Target CPU time per acknowledged event, in milliseconds. */
  targetMsPerEvent: number | null;
}

export interface TargetReport {
  name: TargetName;
  failure: string | null;
  warmup: LoadPhaseResult | null;
  run: LoadPhaseResult | null;
  /** Resident set of the target once ready, before any load. */
  idleRssMb: number | null;
  /** Largest resident set of the target process during warm-up and run. */
  maxRssMb: number | null;
  cpu: CpuUse | null;
  /** Null for the baseline, which stores nothing. */
  storage: StorageCheck | null;
}

type Progress = (message: string) => void;

/** Starts one target, warms it up, measures it, checks what it stored, then undoes what `context.cleanup` holds. */
export async function measureTarget(name: TargetName, context: TargetContext, progress: Progress): Promise<TargetReport> {
  const { settings, cleanup } = context;
  const report: TargetReport = { name, failure: null, warmup: null, run: null, idleRssMb: null, maxRssMb: null, cpu: null, storage: null };
  let rss: RssSampler | null = null;
  try {
    progress(`${name}: starting`);
    const target = await startTarget(name, context);
    const bodies = createWebhookBodySource({ appSecret: target.appSecret, customers: settings.customers, runId: randomBytes(4).toString('hex') });
    const phase = (durationSeconds: number) => runLoadPhase({ url: target.url, connections: settings.connections, durationSeconds, bodies });
    report.idleRssMb = readRssMb(target.child.pid);
    rss = sampleRss(target.child.pid);
    if (settings.warmupSeconds > 0) {
      progress(`${name}: warming up for ${settings.warmupSeconds} s`);
      report.warmup = await phase(settings.warmupSeconds);
    }
    progress(`${name}: measuring for ${settings.durationSeconds} s at ${settings.connections} connections`);
    const cpu = startCpuStopwatch(target.child.pid, name === 'rampart-postgres' ? 'postgres' : null);
    report.run = await phase(settings.durationSeconds);
    report.cpu = summariseCpu(cpu.stop(), report.run);
    report.maxRssMb = rss.stop();
    if (target.child.hasExited()) throw new Error(`exited during the run (${await target.child.exited}):\n${target.child.output()}`);
    report.storage = await checkStorage(target, [report.warmup, report.run]);
    const output = target.child.output().trim();
    if (output !== '') progress(`${name} logged (level warn and above):\n${output}`);
  } catch (error) {
    report.failure = error instanceof Error ? error.message : String(error);
  } finally {
    rss?.stop();
    const failures = await cleanup.runAll();
    for (const failure of failures) progress(`${name}: cleanup failed: ${failure}`);
  }
  return report;
}

function summariseCpu(spent: CpuSpent, run: LoadPhaseResult): CpuUse | null {
  const { targetSeconds, loadGeneratorSeconds, databaseSeconds, machineSeconds, wallSeconds } = spent;
  if (targetSeconds === null || wallSeconds <= 0) return null;
  const percentOf = (seconds: number) => (100 * seconds) / wallSeconds;
  const accounted = targetSeconds + loadGeneratorSeconds + (databaseSeconds ?? 0);
  return {
    targetPercent: percentOf(targetSeconds),
    loadGeneratorPercent: percentOf(loadGeneratorSeconds),
    databasePercent: databaseSeconds === null ? null : percentOf(databaseSeconds),
    restOfMachinePercent: machineSeconds === null ? null : percentOf(Math.max(0, machineSeconds - accounted)),
    targetMsPerEvent: run.acknowledged > 0 ? (1000 * targetSeconds) / run.acknowledged : null,
  };
}

/** Counts what `target` stored once it settles and judges it against the 2xx answers of `phases`. */
export async function checkStorage(target: Pick<StartedTarget, 'countStored'>, phases: readonly (LoadPhaseResult | null)[]): Promise<StorageCheck | null> {
  const counts = await countWhenSettled(target);
  if (counts === null) return null;
  const measured = phases.filter((phase): phase is LoadPhaseResult => phase !== null);
  const acknowledged = sum(measured.map((phase) => phase.acknowledged));
  const unanswered = sum(measured.map((phase) => Math.max(0, phase.sent - phase.answered)));
  return {
    storedMessages: counts.messages,
    storedContacts: counts.contacts,
    acknowledged,
    unanswered,
    verdict: judgeStorage(counts.messages, acknowledged, unanswered),
  };
}

function judgeStorage(stored: number, acknowledged: number, unanswered: number): StorageVerdict {
  if (stored < acknowledged) return 'lost';
  if (stored === acknowledged) return 'exact';
  return stored <= acknowledged + unanswered ? 'in-flight' : 'unexpected';
}

/** Requests abandoned by the load generator may still be committing: count until two reads agree. */
async function countWhenSettled(target: Pick<StartedTarget, 'countStored'>, timeoutMs = 10_000): Promise<StoredCounts | null> {
  const deadline = Date.now() + timeoutMs;
  let previous = await target.countStored();
  while (previous !== null && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 300));
    const current = await target.countStored();
    if (current !== null && current.messages === previous.messages) return current;
    previous = current;
  }
  return previous;
}

function sum(values: readonly number[]): number {
  return values.reduce((total, value) => total + value, 0);
}
