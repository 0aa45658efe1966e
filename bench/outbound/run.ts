/**
 * Outbound benchmark: the Cloud API emulator's own ceiling (a plain client posting straight to
 * it), then Rampart draining a queued outbox with no rate limit, then Rampart under a rate limit
 * (80 mps by default), one after the other. Prints a table, writes test-results/bench-outbound.json.
 * See bench/README.md.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../ingress/child-process.js';
import { createCleanupStack } from '../ingress/cleanup-stack.js';
import { prepareGatewayEntry } from '../ingress/gateway-build.js';
import { UNLIMITED_EMULATOR_THROUGHPUT, measureBaselinePhase } from './baseline-phase.js';
import { measureGatewayPhase } from './gateway-phase.js';
import type { GatewayPhaseSpec, PhaseContext } from './gateway-phase.js';
import { buildOutboundDocument, formatOutboundReport, listBrokenPhases } from './outbound-report.js';
import { isPostgresPhase, loadOutboundBenchSettings } from './outbound-settings.js';
import type { GatewayPhaseName, OutboundBenchSettings } from './outbound-settings.js';
import type { PhaseReport } from './phase-measure.js';

const resultFile = path.join(repoRoot, 'test-results', 'bench-outbound.json');

async function runBench(): Promise<number> {
  const settings = loadOutboundBenchSettings();
  const progress = (message: string) => process.stderr.write(`» ${message}\n`);
  // Per phase (emulator, children, data dir), and for the whole run (a compiled gateway).
  const phaseCleanup = createCleanupStack();
  const runCleanup = createCleanupStack();
  process.once('SIGINT', () => {
    progress('interrupted: stopping children and removing temp data');
    void phaseCleanup
      .runAll()
      .then(() => runCleanup.runAll())
      .finally(() => process.exit(130));
  });
  if (settings.skippedPhases.length > 0) {
    progress(`${settings.skippedPhases.join(', ')} skipped: set RAMPART_BENCH_POSTGRES_URL or RAMPART_TEST_POSTGRES_URL`);
  }

  try {
    const hasGateway = settings.phases.some((name) => name !== 'baseline');
    if (hasGateway && settings.gatewayRuntime === 'compiled') progress('compiling the gateway (tsc) into a temp dir');
    const gateway = hasGateway ? await prepareGatewayEntry(settings.gatewayRuntime, runCleanup) : null;
    const phases: PhaseReport[] = [];
    // One phase at a time: on a small machine, concurrent phases would measure each other.
    const context: PhaseContext = { settings, gateway, cleanup: phaseCleanup, progress };
    for (const name of settings.phases) {
      phases.push(name === 'baseline' ? await measureBaselinePhase(context) : await measureGatewayPhase(describeGatewayPhase(name, settings), context));
    }
    return report(buildOutboundDocument(settings, phases));
  } finally {
    await runCleanup.runAll();
  }
}

function describeGatewayPhase(name: GatewayPhaseName, settings: OutboundBenchSettings): GatewayPhaseSpec {
  const postgresUrl = isPostgresPhase(name) ? settings.postgresUrl : null;
  if (name === 'rampart-unthrottled' || name === 'rampart-unthrottled-postgres') {
    return { name, messages: settings.messages, ratePerSecond: 0, emulatorThroughputPerSecond: UNLIMITED_EMULATOR_THROUGHPUT, prefix: '49152', postgresUrl };
  }
  // The emulator holds Meta's limit too: a governor that overshot would meet 130429 and show it.
  const rate = settings.limitedRatePerSecond;
  return { name, messages: settings.limitedMessages, ratePerSecond: rate, emulatorThroughputPerSecond: rate, prefix: '49157', postgresUrl };
}

function report(document: ReturnType<typeof buildOutboundDocument>): number {
  mkdirSync(path.dirname(resultFile), { recursive: true });
  writeFileSync(resultFile, `${JSON.stringify(document, null, 2)}\n`);
  process.stdout.write(`\n${formatOutboundReport(document)}\n\nresults: ${path.relative(repoRoot, resultFile)}\n`);
  // Missed targets are reported, not failed; a failed phase or a lost or repeated message fails.
  const broken = listBrokenPhases(document);
  for (const problem of broken) process.stderr.write(`bench run broken: ${problem}\n`);
  return broken.length > 0 ? 1 : 0;
}

runBench().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
