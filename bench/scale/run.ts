/**
 * Scale-out benchmark: webhook ingress with 1 and then 2 gateway processes (`rampart start`,
 * compiled) on one PostgreSQL, each phase in a fresh schema, with a bare Fastify baseline at 1 and
 * 2 processes measured in the same run. Reuses the ingress bench's pieces (targets, load phase,
 * signed bodies, /proc sampling, stored-row check). Prints a table, writes
 * test-results/bench-scale.json. See bench/scale/README.md.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { repoRoot } from '../ingress/child-process.js';
import { createCleanupStack } from '../ingress/cleanup-stack.js';
import { prepareGatewayEntry } from '../ingress/gateway-build.js';
import { measurePhase } from './scale-phase.js';
import type { PhaseReport, PhaseSpec } from './scale-phase.js';
import { buildScaleDocument, formatScaleReport, listBrokenPhases } from './scale-report.js';
import type { ScaleDocument } from './scale-report.js';
import { loadScaleSettings } from './scale-settings.js';

const resultFile = path.join(repoRoot, 'test-results', 'bench-scale.json');

/** One at a time: on a small machine, concurrent phases would measure each other. */
const phases: readonly PhaseSpec[] = [
  { name: 'baseline-1', target: 'baseline', processes: 1 },
  { name: 'baseline-2', target: 'baseline', processes: 2 },
  { name: 'rampart-1', target: 'rampart-postgres', processes: 1 },
  { name: 'rampart-2', target: 'rampart-postgres', processes: 2 },
];

async function runBench(): Promise<number> {
  const settings = loadScaleSettings();
  const progress = (message: string) => process.stderr.write(`» ${message}\n`);
  const loadAverageAtStart = os.loadavg().map((load) => Math.round(load * 100) / 100);
  // Per phase (children, data dirs, schemas), and for the whole run (the compiled gateway).
  const phaseCleanup = createCleanupStack();
  const runCleanup = createCleanupStack();
  process.once('SIGINT', () => {
    progress('interrupted: stopping children and removing temp data');
    void phaseCleanup
      .runAll()
      .then(() => runCleanup.runAll())
      .finally(() => process.exit(130));
  });

  try {
    // Fails early, with the reason, when the server is not there.
    const postgresVersion = await readPostgresVersion(settings.postgresUrl);
    if (settings.gatewayRuntime === 'compiled') progress('compiling the gateway (tsc) into a temp dir');
    const gateway = await prepareGatewayEntry(settings.gatewayRuntime, runCleanup);
    const results: PhaseReport[] = [];
    for (const spec of phases) results.push(await measurePhase(spec, { settings, gateway, cleanup: phaseCleanup }, progress));
    return report(buildScaleDocument(settings, results, { loadAverageAtStart, postgresVersion }));
  } finally {
    await runCleanup.runAll();
  }
}

async function readPostgresVersion(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
    const { rows } = await client.query<{ server_version: string }>('show server_version');
    return rows[0]!.server_version;
  } catch (error) {
    throw new Error(`PostgreSQL is not reachable (set RAMPART_BENCH_POSTGRES_URL or RAMPART_TEST_POSTGRES_URL): ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    await client.end().catch(() => undefined);
  }
}

function report(document: ScaleDocument): number {
  mkdirSync(path.dirname(resultFile), { recursive: true });
  writeFileSync(resultFile, `${JSON.stringify(document, null, 2)}\n`);
  process.stdout.write(`\n${formatScaleReport(document)}\n\nresults: ${path.relative(repoRoot, resultFile)}\n`);
  // Slow scaling is reported, not failed; a broken run (no start, crash, mass errors, lost rows) fails.
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
