import os from 'node:os';
import type { OutboundBenchSettings } from './outbound-settings.js';
import type { PhaseReport } from './phase-measure.js';
import { RATE_TOLERANCE_PERCENT, UNTHROTTLED_TARGET_PER_SECOND, formatVerdicts, judgeTargets } from './target-verdicts.js';
import type { TargetVerdicts } from './target-verdicts.js';

/** CPU used by processes outside the benchmark above which a phase is called noisy (% of one core). */
const NOISY_MACHINE_PERCENT = 15;

export interface OutboundBenchDocument {
  generatedAt: string;
  machine: { cpus: number; cpuModel: string; totalMemoryMb: number; node: string; platform: string };
  settings: Omit<OutboundBenchSettings, 'postgresUrl'> & { hasPostgres: boolean };
  targets: { unthrottledAtLeastPerSecond: number; limitedWithinPercent: number };
  phases: PhaseReport[];
  verdicts: TargetVerdicts;
}

export function buildOutboundDocument(settings: OutboundBenchSettings, phases: PhaseReport[]): OutboundBenchDocument {
  const cpus = os.cpus();
  // Never the URL itself: it may hold a password.
  const { postgresUrl, ...reported } = settings;
  return {
    generatedAt: new Date().toISOString(),
    machine: {
      cpus: cpus.length,
      cpuModel: cpus[0]?.model ?? 'unknown',
      totalMemoryMb: Math.round(os.totalmem() / 1024 / 1024),
      node: process.version,
      platform: `${process.platform}-${process.arch}`,
    },
    settings: { ...reported, hasPostgres: postgresUrl !== null },
    targets: { unthrottledAtLeastPerSecond: UNTHROTTLED_TARGET_PER_SECOND, limitedWithinPercent: RATE_TOLERANCE_PERCENT },
    phases,
    verdicts: judgeTargets(phases),
  };
}

/** Why this run must exit non-zero: a phase failed, or a message was lost or sent twice. A slow phase is not broken. */
export function listBrokenPhases(document: OutboundBenchDocument): string[] {
  return document.phases.flatMap((phase) => {
    if (phase.failure !== null) return [`${phase.name} failed: ${phase.failure.split('\n', 1)[0]}`];
    const delivery = phase.delivery;
    if (delivery === null) return [`${phase.name}: no delivery check`];
    const problems: string[] = [];
    if (delivery.missing > 0) problems.push(`${phase.name}: ${delivery.missing} of ${delivery.expected} messages never reached the emulator`);
    if (delivery.duplicates > 0) problems.push(`${phase.name}: ${delivery.duplicates} messages were sent more than once`);
    if (delivery.unexpected > 0) problems.push(`${phase.name}: ${delivery.unexpected} sends to recipients nobody asked for`);
    return problems;
  });
}

export function formatOutboundReport(document: OutboundBenchDocument): string {
  const { settings, machine, verdicts } = document;
  const header = ['phase', 'messages', 'sends/s', 'first→last s', 'max in 1 s', 'sent / expected', 'refused', 'sender CPU %', 'CPU ms/send', 'emulator CPU %', 'PostgreSQL CPU %', 'max RSS MB'];
  const lines = [
    `Rampart outbound benchmark — ${settings.sendConcurrency} sends in flight, gateway run via ${settings.gatewayRuntime}; phases without -postgres run on SQLite`,
    `${machine.cpus} × ${machine.cpuModel}, node ${machine.node}; sender, emulator (in the bench process) share the machine`,
    '',
    ...formatTable([header, ...document.phases.map(formatRow)]),
    '',
    ...formatVerdicts(verdicts),
    'Queueing through POST /api/v1/messages (before each drain; not a target):',
    ...document.phases.filter((phase) => phase.queue !== null).map((phase) => `  ${phase.name.padEnd(29)} ${phase.queue!.accepted} in ${phase.queue!.seconds.toFixed(1)} s = ${(phase.queue!.accepted / phase.queue!.seconds).toFixed(0)} /s`),
    ...formatWarnings(document.phases),
  ];
  return lines.join('\n');
}

function formatRow(phase: PhaseReport): string[] {
  if (phase.failure !== null || phase.rate === null) return [phase.name, String(phase.messages), 'FAILED', '', '', '', '', '', '', '', '', ''];
  const { rate, delivery, cpu } = phase;
  const refused = Object.values(phase.refusedAtEmulator).reduce((total, count) => total + count, 0);
  return [
    phase.name,
    String(phase.messages),
    rate.perSecond === null ? 'n/a' : rate.perSecond.toFixed(rate.perSecond < 1000 ? 2 : 0),
    rate.firstToLastSeconds.toFixed(2),
    String(rate.maxInOneSecond),
    delivery === null ? '—' : `${delivery.sent} / ${delivery.expected} ${delivery.isExact ? 'ok' : 'BROKEN'}`,
    String(refused),
    cpu === null ? 'n/a' : cpu.senderPercent.toFixed(0),
    cpu === null || cpu.senderMsPerSend === null ? 'n/a' : cpu.senderMsPerSend.toFixed(3),
    cpu === null ? 'n/a' : cpu.emulatorPercent.toFixed(0),
    cpu === null || cpu.databasePercent === null ? '—' : cpu.databasePercent.toFixed(0),
    phase.maxRssMb === null ? 'n/a' : phase.maxRssMb.toFixed(1),
  ];
}

function formatTable(rows: readonly string[][]): string[] {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length)));
  const render = (row: readonly string[]) =>
    row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  ');
  return [render(rows[0]!), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.slice(1).map(render)];
}

/** Loud lines for anything that is not a clean phase, so a fast but broken one cannot pass unnoticed. */
function formatWarnings(phases: readonly PhaseReport[]): string[] {
  const warnings = phases.flatMap((phase) => {
    if (phase.failure !== null) return [`!! ${phase.name} FAILED: ${phase.failure}`];
    const lines = phase.notes.map((note) => `!! ${phase.name}: ${note}`);
    const delivery = phase.delivery;
    if (delivery !== null && !delivery.isExact) lines.push(`!! ${phase.name}: ${delivery.missing} lost, ${delivery.duplicates} sent twice, ${delivery.unexpected} to unknown recipients`);
    if (Object.keys(phase.refusedAtEmulator).length > 0) lines.push(`!! ${phase.name}: the emulator refused sends ${JSON.stringify(phase.refusedAtEmulator)} (by HTTP status)`);
    const rest = phase.cpu?.restOfMachinePercent ?? 0;
    if (rest > NOISY_MACHINE_PERCENT) lines.push(`!! ${phase.name}: other processes used ${rest.toFixed(0)} % of a core during the drain; its figures are unreliable`);
    return lines;
  });
  return warnings.length > 0 ? ['', ...warnings] : [];
}
