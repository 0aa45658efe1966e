import { randomBytes } from 'node:crypto';
import { startTarget } from '../ingress/bench-targets.js';
import type { TargetContext } from '../ingress/bench-targets.js';
import type { ChildHandle } from '../ingress/child-process.js';
import { runLoadPhase } from '../ingress/load-phase.js';
import type { LoadPhaseResult } from '../ingress/load-phase.js';
import { checkStorage } from '../ingress/measure-target.js';
import type { StorageCheck } from '../ingress/measure-target.js';
import { readCommandCpuSeconds, readProcessCpuSeconds, sampleRss, startCpuStopwatch } from '../ingress/process-sampler.js';
import type { RssSampler } from '../ingress/process-sampler.js';
import { createWebhookBodySource } from '../ingress/webhook-body-source.js';
import { findServingProcesses } from './postgres-processes.js';
import type { ScaleSettings } from './scale-settings.js';

export type ScaleTarget = 'baseline' | 'rampart-postgres';

export interface PhaseSpec {
  /** e.g. `rampart-2`: the target and how many processes of it share the load. */
  name: string;
  target: ScaleTarget;
  processes: number;
}

export interface PhaseCpu {
  wallSeconds: number;
  /** CPU seconds of each target process (gateway or bare server) over the measured run. */
  targetSeconds: (number | null)[];
  /** The bench process: autocannon and the signing of each body. */
  loadGeneratorSeconds: number;
  /** PostgreSQL's client backends serving the gateways, plus the server's background processes (Rampart phases, local server). */
  postgresServingSeconds: number | null;
  /** Every process named `postgres` on the machine (other clients and clusters included). */
  postgresAllSeconds: number | null;
  /** Busy CPU of the machine outside the target, the load generator and PostgreSQL: other work. */
  restOfMachineSeconds: number | null;
}

export interface PhaseReport extends PhaseSpec {
  failure: string | null;
  warmup: LoadPhaseResult | null;
  run: LoadPhaseResult | null;
  /** Largest resident set of each target process during warm-up and run, MiB. */
  maxRssMb: (number | null)[];
  cpu: PhaseCpu | null;
  /** Rows stored in this phase's own schema against the 2xx answers of warm-up and run; null for the baseline. */
  storage: StorageCheck | null;
}

type Progress = (message: string) => void;

/**
 * One phase: `processes` copies of the target (gateways on one fresh PostgreSQL schema, or bare
 * servers), one autocannon run whose connections are spread over them round robin, CPU of each
 * side from /proc, then the stored-row check; undoes everything `context.cleanup` holds.
 */
export async function measurePhase(spec: PhaseSpec, context: TargetContext & { settings: ScaleSettings }, progress: Progress): Promise<PhaseReport> {
  const { settings, cleanup } = context;
  const report: PhaseReport = { ...spec, failure: null, warmup: null, run: null, maxRssMb: [], cpu: null, storage: null };
  const samplers: RssSampler[] = [];
  try {
    progress(`${spec.name}: starting ${spec.processes} × ${spec.target}`);
    const first = await startTarget(spec.target, context);
    const processes: { url: string; child: ChildHandle }[] = [first];
    while (processes.length < spec.processes) processes.push(await first.startPeer());
    const urls = processes.map((started) => started.url);
    const pids = processes.map((started) => started.child.pid);
    const bodies = createWebhookBodySource({ appSecret: first.appSecret, customers: settings.customers, runId: randomBytes(4).toString('hex') });
    const phase = (durationSeconds: number) => runLoadPhase({ url: urls, connections: settings.connections, durationSeconds, bodies });
    samplers.push(...pids.map((pid) => sampleRss(pid)));
    if (settings.warmupSeconds > 0) {
      progress(`${spec.name}: warming up for ${settings.warmupSeconds} s`);
      report.warmup = await phase(settings.warmupSeconds);
    }
    const isRampart = spec.target === 'rampart-postgres';
    // Found after warm-up, when the gateways' connection pools are open.
    const servingBefore = isRampart ? await findServingProcesses(settings.postgresUrl, pids).catch(() => null) : null;
    progress(`${spec.name}: measuring for ${settings.durationSeconds} s at ${settings.connections} connections over ${urls.length} process(es)`);
    const postgresBefore = readCommandCpuSeconds('postgres');
    const targetsBefore = pids.map(readProcessCpuSeconds);
    const stopwatch = startCpuStopwatch(pids[0]!);
    report.run = await phase(settings.durationSeconds);
    const spent = stopwatch.stop();
    const targetsAfter = pids.map(readProcessCpuSeconds);
    const postgresAfter = readCommandCpuSeconds('postgres');
    const servingAfter = isRampart ? await findServingProcesses(settings.postgresUrl, pids).catch(() => null) : null;
    report.maxRssMb = samplers.map((sampler) => sampler.stop());
    for (const started of processes) {
      if (started.child.hasExited()) throw new Error(`${started.url} exited during the run (${await started.child.exited}):\n${started.child.output()}`);
    }

    const postgresAllSeconds = postgresBefore && postgresAfter ? sumGrowth(postgresBefore, postgresAfter) : null;
    const serving = servingBefore && servingAfter ? new Set([...servingBefore.backends, ...servingBefore.background, ...servingAfter.backends, ...servingAfter.background]) : null;
    const targetSeconds = pids.map((_, index) => {
      const [before, after] = [targetsBefore[index] ?? null, targetsAfter[index] ?? null];
      return before === null || after === null ? null : after - before;
    });
    const accounted = targetSeconds.reduce<number>((sum, seconds) => sum + (seconds ?? 0), 0) + spent.loadGeneratorSeconds + (postgresAllSeconds ?? 0);
    report.cpu = {
      wallSeconds: spent.wallSeconds,
      targetSeconds,
      loadGeneratorSeconds: spent.loadGeneratorSeconds,
      postgresServingSeconds: serving && postgresBefore && postgresAfter ? sumGrowth(postgresBefore, postgresAfter, serving) : null,
      postgresAllSeconds,
      restOfMachineSeconds: spent.machineSeconds === null ? null : Math.max(0, spent.machineSeconds - accounted),
    };
    if (isRampart) report.storage = await checkStorage(first, [report.warmup, report.run]);
    for (const started of processes) {
      const output = started.child.output().trim();
      if (output !== '') progress(`${spec.name}: ${started.url} logged (level warn and above):\n${output}`);
    }
  } catch (error) {
    report.failure = error instanceof Error ? error.message : String(error);
  } finally {
    for (const sampler of samplers) sampler.stop();
    const failures = await cleanup.runAll();
    for (const failure of failures) progress(`${spec.name}: cleanup failed: ${failure}`);
  }
  return report;
}

/** CPU seconds gained per pid (only `only`, when given); a process that started meanwhile counts from zero. */
function sumGrowth(before: ReadonlyMap<number, number>, after: ReadonlyMap<number, number>, only?: ReadonlySet<number>): number {
  let total = 0;
  for (const [pid, seconds] of after) if (!only || only.has(pid)) total += seconds - (before.get(pid) ?? 0);
  return total;
}
