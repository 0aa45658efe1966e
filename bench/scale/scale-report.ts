import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { formatTable, MAX_FAILED_SHARE } from '../ingress/bench-report.js';
import type { PhaseReport, ScaleTarget } from './scale-phase.js';
import type { ScaleSettings } from './scale-settings.js';

/** CPU seconds per 1,000 acknowledged events, by side; null when unmeasurable. */
export interface CpuPerThousandEvents {
  phase: string;
  processes: number;
  targets: number | null;
  postgresServing: number | null;
  postgresAll: number | null;
  loadGenerator: number | null;
  /** Acknowledged events per CPU-second of the targets (1,000 ÷ `targets`): one core's worth. */
  eventsPerTargetCoreSecond: number | null;
  /** The same for PostgreSQL's serving processes. */
  eventsPerPostgresCoreSecond: number | null;
}

export interface ScaleDocument {
  generatedAt: string;
  machine: { cpus: number; cpuModel: string; totalMemoryMb: number; node: string; platform: string; loadAverageAtStart: number[]; postgresVersion: string | null };
  settings: {
    connections: number;
    durationSeconds: number;
    warmupSeconds: number;
    customers: number;
    gatewayRuntime: ScaleSettings['gatewayRuntime'];
    postgres: ScaleSettings['postgresSource'];
  };
  phases: PhaseReport[];
  /** Events/s with 2 processes ÷ with 1, per target. */
  scaling: Record<ScaleTarget, number | null>;
  /** Rampart events/s ÷ baseline events/s at the same process count. */
  rampartOverBaseline: { processes: number; ratio: number | null }[];
  cpuPerThousandEvents: CpuPerThousandEvents[];
}

export function buildScaleDocument(settings: ScaleSettings, phases: PhaseReport[], context: { loadAverageAtStart: number[]; postgresVersion: string | null }): ScaleDocument {
  const cpus = os.cpus();
  return {
    generatedAt: new Date().toISOString(),
    machine: {
      cpus: cpus.length,
      cpuModel: readCpuModel() ?? cpus[0]?.model ?? 'unknown',
      totalMemoryMb: Math.round(os.totalmem() / 1024 / 1024),
      node: process.version,
      platform: `${process.platform}-${process.arch}`,
      loadAverageAtStart: context.loadAverageAtStart,
      postgresVersion: context.postgresVersion,
    },
    settings: {
      connections: settings.connections,
      durationSeconds: settings.durationSeconds,
      warmupSeconds: settings.warmupSeconds,
      customers: settings.customers,
      gatewayRuntime: settings.gatewayRuntime,
      postgres: settings.postgresSource,
    },
    phases,
    scaling: { baseline: scalingOf(phases, 'baseline'), 'rampart-postgres': scalingOf(phases, 'rampart-postgres') },
    rampartOverBaseline: [1, 2].map((processes) => ({ processes, ratio: ratioOf(rateOf(phases, 'rampart-postgres', processes), rateOf(phases, 'baseline', processes)) })),
    cpuPerThousandEvents: phases.map(perThousandEvents),
  };
}

/** `lscpu`'s model name (os.cpus() may shorten it); null where lscpu is missing. */
function readCpuModel(): string | null {
  try {
    const line = execFileSync('lscpu', { encoding: 'utf8' }).split('\n').find((text) => text.startsWith('Model name:'));
    return line ? line.slice('Model name:'.length).trim() : null;
  } catch {
    return null;
  }
}

function rateOf(phases: readonly PhaseReport[], target: ScaleTarget, processes: number): number | null {
  const phase = phases.find((candidate) => candidate.target === target && candidate.processes === processes);
  return phase?.failure === null && phase.run ? phase.run.eventsPerSecond : null;
}

function scalingOf(phases: readonly PhaseReport[], target: ScaleTarget): number | null {
  return ratioOf(rateOf(phases, target, 2), rateOf(phases, target, 1));
}

function ratioOf(numerator: number | null, denominator: number | null): number | null {
  return numerator === null || denominator === null || denominator <= 0 ? null : numerator / denominator;
}

function perThousandEvents(phase: PhaseReport): CpuPerThousandEvents {
  const events = phase.run?.acknowledged ?? 0;
  const cpu = phase.cpu;
  const per = (seconds: number | null | undefined) => (seconds === null || seconds === undefined || events === 0 ? null : (1000 * seconds) / events);
  const targetSeconds = cpu && cpu.targetSeconds.every((seconds) => seconds !== null) ? cpu.targetSeconds.reduce<number>((sum, seconds) => sum + seconds!, 0) : null;
  const targets = per(targetSeconds);
  const postgresServing = per(cpu?.postgresServingSeconds);
  return {
    phase: phase.name,
    processes: phase.processes,
    targets,
    postgresServing,
    postgresAll: per(cpu?.postgresAllSeconds),
    loadGenerator: per(cpu?.loadGeneratorSeconds),
    eventsPerTargetCoreSecond: targets ? 1000 / targets : null,
    eventsPerPostgresCoreSecond: postgresServing ? 1000 / postgresServing : null,
  };
}

/** Why this run must exit non-zero: a phase that did not run, mass failures, or rows that do not match the 200s. */
export function listBrokenPhases(document: ScaleDocument): string[] {
  return document.phases.flatMap((phase) => {
    if (phase.failure !== null) return [`${phase.name} failed: ${phase.failure.split('\n', 1)[0]}`];
    const run = phase.run!;
    const problems: string[] = [];
    const failed = run.non2xx + run.errors;
    if (failed > MAX_FAILED_SHARE * Math.max(run.sent, 1)) problems.push(`${phase.name}: ${failed} of ${run.sent} requests failed (non-2xx or connection errors)`);
    const verdict = phase.storage?.verdict;
    if (verdict === 'lost' || verdict === 'unexpected') problems.push(`${phase.name}: stored rows do not match acknowledgements (${verdict})`);
    if (phase.target === 'rampart-postgres' && phase.storage === null) problems.push(`${phase.name}: stored rows could not be counted`);
    return problems;
  });
}

export function formatScaleReport(document: ScaleDocument): string {
  const { settings, machine } = document;
  const header = ['phase', 'processes', 'events/s', 'p50 ms', 'p99 ms', 'non-2xx', 'errors', 'stored / acked', 'max RSS MB'];
  const rows = document.phases.map(formatPhaseRow);
  const cpuHeader = ['phase', 'target CPU %', 'PostgreSQL CPU %', 'load gen CPU %', 'rest of machine CPU %', 'target s/1k ev', 'PostgreSQL s/1k ev', 'ev per target core-s', 'ev per PostgreSQL core-s'];
  const cpuRows = document.phases.map((phase) => formatCpuRow(phase, document.cpuPerThousandEvents.find((entry) => entry.phase === phase.name)!));
  const lines = [
    `Rampart scale-out benchmark — ${settings.connections} connections spread over the processes, ${settings.durationSeconds} s measured after ${settings.warmupSeconds} s warm-up, one phase at a time`,
    `${machine.cpus} × ${machine.cpuModel}, node ${machine.node}, PostgreSQL ${machine.postgresVersion ?? '?'} (${settings.postgres} URL, a fresh schema per phase), gateways ${settings.gatewayRuntime}; load generator, gateways and PostgreSQL share the machine`,
    '',
    ...formatTable([header, ...rows]),
    '',
    `2 processes ÷ 1 process: baseline ${formatRatio(document.scaling.baseline)}, Rampart ${formatRatio(document.scaling['rampart-postgres'])}`,
    `Rampart ÷ baseline: ${document.rampartOverBaseline.map(({ processes, ratio }) => `${processes} process(es) ${formatRatio(ratio)}`).join(', ')}`,
    '',
    'CPU over the measured run (100 % = one core; PostgreSQL = the backends serving the gateways and the server\'s background processes), and per 1,000 acknowledged events:',
    ...formatTable([cpuHeader, ...cpuRows]),
    ...formatWarnings(document),
  ];
  return lines.join('\n');
}

function formatPhaseRow(phase: PhaseReport): string[] {
  if (phase.failure !== null || phase.run === null) return [phase.name, String(phase.processes), 'FAILED', '', '', '', '', '', ''];
  const { run, storage } = phase;
  return [
    phase.name,
    String(phase.processes),
    run.eventsPerSecond.toFixed(0),
    run.latencyMs.p50.toFixed(0),
    run.latencyMs.p99.toFixed(0),
    String(run.non2xx),
    String(run.errors),
    storage === null ? '—' : formatStorage(storage),
    phase.maxRssMb.map((mb) => (mb === null ? 'n/a' : mb.toFixed(0))).join(' + '),
  ];
}

function formatStorage({ storedMessages, acknowledged, verdict }: NonNullable<PhaseReport['storage']>): string {
  const counts = `${storedMessages} / ${acknowledged}`;
  if (verdict === 'exact') return `${counts} ok`;
  if (verdict === 'in-flight') return `${counts} ok (+${storedMessages - acknowledged} in flight)`;
  return `${counts} ${verdict.toUpperCase()}`;
}

function formatCpuRow(phase: PhaseReport, perThousand: CpuPerThousandEvents): string[] {
  const cpu = phase.cpu;
  if (cpu === null) return [phase.name, 'n/a', '', '', '', '', '', '', ''];
  const percent = (seconds: number | null) => (seconds === null ? '—' : ((100 * seconds) / cpu.wallSeconds).toFixed(0));
  const fixed = (value: number | null, digits: number) => (value === null ? '—' : value.toFixed(digits));
  return [
    phase.name,
    cpu.targetSeconds.map(percent).join(' + '),
    percent(cpu.postgresServingSeconds),
    percent(cpu.loadGeneratorSeconds),
    percent(cpu.restOfMachineSeconds),
    fixed(perThousand.targets, 3),
    fixed(perThousand.postgresServing, 3),
    fixed(perThousand.eventsPerTargetCoreSecond, 0),
    fixed(perThousand.eventsPerPostgresCoreSecond, 0),
  ];
}

function formatRatio(ratio: number | null): string {
  return ratio === null ? 'n/a' : ratio.toFixed(2);
}

/** CPU used by other work above which a phase's figures are called unreliable (% of one core), as in the ingress bench. */
const NOISY_MACHINE_PERCENT = 15;

function formatWarnings(document: ScaleDocument): string[] {
  const warnings = document.phases.flatMap((phase) => {
    if (phase.failure !== null) return [`!! ${phase.name} FAILED: ${phase.failure}`];
    const run = phase.run!;
    const lines: string[] = [];
    if (run.non2xx > 0) lines.push(`!! ${phase.name}: ${run.non2xx} non-2xx responses ${JSON.stringify(run.statusCounts)}`);
    if (run.errors > 0) lines.push(`!! ${phase.name}: ${run.errors} connection errors (${run.timeouts} timeouts)`);
    const cpu = phase.cpu;
    const other = cpu === null ? 0 : (100 * ((cpu.restOfMachineSeconds ?? 0) + Math.max(0, (cpu.postgresAllSeconds ?? 0) - (cpu.postgresServingSeconds ?? 0)))) / cpu.wallSeconds;
    if (other > NOISY_MACHINE_PERCENT) lines.push(`!! ${phase.name}: other work on the machine used ${other.toFixed(0)} % of a core during the run; its figures are unreliable`);
    if (phase.storage?.verdict === 'lost') lines.push(`!! ${phase.name}: ${phase.storage.acknowledged - phase.storage.storedMessages} acknowledged messages are NOT stored`);
    if (phase.storage?.verdict === 'unexpected') lines.push(`!! ${phase.name}: more messages stored than acknowledged or in flight`);
    return lines;
  });
  return warnings.length > 0 ? ['', ...warnings] : [];
}
