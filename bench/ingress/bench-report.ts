import os from 'node:os';
import type { BenchSettings, TargetName } from './bench-settings.js';
import type { StorageCheck, TargetReport } from './measure-target.js';

/** What the gateway must reach relative to a bare Fastify server on the same machine. */
export const RATIO_TARGET = 0.6;
export const RSS_TARGET_MB = 200;
/** Above this share of failed requests the run is broken, not slow: the bench exits non-zero. */
export const MAX_FAILED_SHARE = 0.01;
/** CPU used by processes outside the benchmark above which a run is called noisy (% of one core). */
const NOISY_MACHINE_PERCENT = 15;

export interface RatioVerdict {
  target: Exclude<TargetName, 'baseline'>;
  ratio: number | null;
  isMet: boolean;
}

export interface BenchDocument {
  generatedAt: string;
  machine: { cpus: number; cpuModel: string; totalMemoryMb: number; node: string; platform: string };
  settings: {
    connections: number;
    durationSeconds: number;
    warmupSeconds: number;
    customers: number;
    gatewayRuntime: BenchSettings['gatewayRuntime'];
    hasPostgres: boolean;
  };
  targets: { ratioAtLeast: number; rssBelowMb: number };
  results: TargetReport[];
  ratios: RatioVerdict[];
}

export function buildBenchDocument(settings: BenchSettings, results: TargetReport[]): BenchDocument {
  const cpus = os.cpus();
  return {
    generatedAt: new Date().toISOString(),
    machine: {
      cpus: cpus.length,
      cpuModel: cpus[0]?.model ?? 'unknown',
      totalMemoryMb: Math.round(os.totalmem() / 1024 / 1024),
      node: process.version,
      platform: `${process.platform}-${process.arch}`,
    },
    settings: {
      connections: settings.connections,
      durationSeconds: settings.durationSeconds,
      warmupSeconds: settings.warmupSeconds,
      customers: settings.customers,
      gatewayRuntime: settings.gatewayRuntime,
      // Never the URL itself: it may hold a password.
      hasPostgres: settings.postgresUrl !== null,
    },
    targets: { ratioAtLeast: RATIO_TARGET, rssBelowMb: RSS_TARGET_MB },
    results,
    ratios: computeRatios(results),
  };
}

function computeRatios(results: readonly TargetReport[]): RatioVerdict[] {
  const baseline = results.find((result) => result.name === 'baseline')?.run?.eventsPerSecond ?? null;
  return results.flatMap((result) => {
    if (result.name === 'baseline') return [];
    const rate = result.run?.eventsPerSecond ?? null;
    const ratio = baseline !== null && baseline > 0 && rate !== null ? rate / baseline : null;
    return [{ target: result.name, ratio, isMet: ratio !== null && ratio >= RATIO_TARGET }];
  });
}

/** Why this run must exit non-zero (a target did not start or crashed, requests failed en masse, data went missing). */
export function listBrokenRuns(document: BenchDocument): string[] {
  return document.results.flatMap((result) => {
    if (result.failure !== null) return [`${result.name} failed: ${firstLine(result.failure)}`];
    const problems: string[] = [];
    const run = result.run!;
    const failed = run.non2xx + run.errors;
    if (failed > MAX_FAILED_SHARE * Math.max(run.sent, 1)) {
      problems.push(`${result.name}: ${failed} of ${run.sent} requests failed (non-2xx or connection errors)`);
    }
    const verdict = result.storage?.verdict;
    if (verdict === 'lost' || verdict === 'unexpected') problems.push(`${result.name}: stored messages do not match acknowledgements (${verdict})`);
    return problems;
  });
}

export function formatBenchReport(document: BenchDocument): string {
  const { settings, machine } = document;
  const header = ['target', 'events/s', 'p50 ms', 'p99 ms', 'non-2xx', 'errors', 'max RSS MB', 'CPU %', 'stored / acked', 'ratio'];
  const rows = document.results.map((result) => formatRow(result, document.ratios));
  const lines = [
    `Rampart ingress benchmark — ${settings.connections} connections, ${settings.durationSeconds} s measured after ${settings.warmupSeconds} s warm-up`,
    `${machine.cpus} × ${machine.cpuModel}, node ${machine.node}, gateway run via ${settings.gatewayRuntime}; load generator and target share the machine`,
    '',
    ...formatTable([header, ...rows]),
    '',
    `Throughput ratio Rampart / baseline (target ≥ ${RATIO_TARGET.toFixed(2)}):`,
    ...document.ratios.map((verdict) => `  ${verdict.target.padEnd(17)} ${formatRatio(verdict)}`),
    `Max RSS of the gateway process (target < ${RSS_TARGET_MB} MB):`,
    ...document.results
      .filter((result) => result.name !== 'baseline')
      .map((result) => `  ${result.name.padEnd(17)} ${formatRss(result)}`),
    'CPU over the measured run (100 % = one core):',
    ...document.results.map((result) => `  ${result.name.padEnd(17)} ${formatCpu(result)}`),
    ...formatWarnings(document.results),
  ];
  return lines.join('\n');
}

function formatRow(result: TargetReport, ratios: readonly RatioVerdict[]): string[] {
  if (result.failure !== null || result.run === null) return [result.name, 'FAILED', '', '', '', '', '', '', '', ''];
  const { run, storage } = result;
  const ratio = ratios.find((verdict) => verdict.target === result.name);
  return [
    result.name,
    run.eventsPerSecond.toFixed(0),
    run.latencyMs.p50.toFixed(0),
    run.latencyMs.p99.toFixed(0),
    String(run.non2xx),
    String(run.errors),
    result.maxRssMb === null ? 'n/a' : result.maxRssMb.toFixed(1),
    result.cpu === null ? 'n/a' : result.cpu.targetPercent.toFixed(0),
    storage === null ? '—' : formatStorage(storage),
    ratio === undefined || ratio.ratio === null ? '—' : ratio.ratio.toFixed(2),
  ];
}

function formatStorage({ storedMessages, acknowledged, verdict }: StorageCheck): string {
  const counts = `${storedMessages} / ${acknowledged}`;
  if (verdict === 'exact') return `${counts} ok`;
  if (verdict === 'in-flight') return `${counts} ok (+${storedMessages - acknowledged} in flight)`;
  return `${counts} ${verdict.toUpperCase()}`;
}

export function formatTable(rows: readonly string[][]): string[] {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length)));
  const render = (row: readonly string[]) =>
    row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  ');
  return [render(rows[0]!), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.slice(1).map(render)];
}

function formatRatio(verdict: RatioVerdict): string {
  if (verdict.ratio === null) return 'n/a (no baseline or no run)';
  return `${verdict.ratio.toFixed(2)}  ${verdict.isMet ? 'met' : 'MISSED'}`;
}

function formatRss({ maxRssMb, idleRssMb }: TargetReport): string {
  if (maxRssMb === null) return 'n/a';
  const idle = idleRssMb === null ? '' : ` (${idleRssMb.toFixed(1)} MB idle before load)`;
  return `${maxRssMb.toFixed(1)} MB  ${maxRssMb < RSS_TARGET_MB ? 'met' : 'MISSED'}${idle}`;
}

function formatCpu({ cpu }: TargetReport): string {
  if (cpu === null) return 'n/a';
  const perEvent = cpu.targetMsPerEvent === null ? '' : `, ${cpu.targetMsPerEvent.toFixed(2)} ms CPU per event`;
  const database = cpu.databasePercent === null ? '' : `; PostgreSQL server ${cpu.databasePercent.toFixed(0)} %`;
  const rest = cpu.restOfMachinePercent === null ? '' : `; rest of machine ${cpu.restOfMachinePercent.toFixed(0)} %`;
  return `target ${cpu.targetPercent.toFixed(0)} %${perEvent}; load generator ${cpu.loadGeneratorPercent.toFixed(0)} %${database}${rest}`;
}

/** Loud lines for anything that is not a clean run, so a fast but failing target cannot pass unnoticed. */
function formatWarnings(results: readonly TargetReport[]): string[] {
  const warnings = results.flatMap((result) => {
    if (result.failure !== null) return [`!! ${result.name} FAILED: ${result.failure}`];
    const run = result.run!;
    const lines: string[] = [];
    if (run.non2xx > 0) lines.push(`!! ${result.name}: ${run.non2xx} non-2xx responses ${JSON.stringify(run.statusCounts)}`);
    if (run.errors > 0) lines.push(`!! ${result.name}: ${run.errors} connection errors (${run.timeouts} timeouts)`);
    const rest = result.cpu?.restOfMachinePercent ?? 0;
    if (rest > NOISY_MACHINE_PERCENT) {
      lines.push(`!! ${result.name}: other processes used ${rest.toFixed(0)} % of a core during the run; its figures are unreliable`);
    }
    const storage = result.storage;
    if (storage?.verdict === 'lost') lines.push(`!! ${result.name}: ${storage.acknowledged - storage.storedMessages} acknowledged messages are NOT stored`);
    if (storage?.verdict === 'unexpected') lines.push(`!! ${result.name}: more messages stored than acknowledged or in flight`);
    return lines;
  });
  return warnings.length > 0 ? ['', ...warnings] : [];
}

function firstLine(text: string): string {
  return text.split('\n', 1)[0] ?? text;
}
