/**
 * Ingress benchmark: a bare Fastify server, then Rampart on SQLite, then Rampart on PostgreSQL (when
 * configured), one after the other, each a child process under the same autocannon load of distinct,
 * signed webhooks. Prints a table, writes test-results/bench-ingress.json. See bench/README.md.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { buildBenchDocument, formatBenchReport, listBrokenRuns } from './bench-report.js';
import { loadBenchSettings } from './bench-settings.js';
import { repoRoot } from './child-process.js';
import { createCleanupStack } from './cleanup-stack.js';
import { prepareGatewayEntry } from './gateway-build.js';
import { measureTarget } from './measure-target.js';
import type { TargetReport } from './measure-target.js';

const resultFile = path.join(repoRoot, 'test-results', 'bench-ingress.json');

async function runBench(): Promise<number> {
  const settings = loadBenchSettings();
  const progress = (message: string) => process.stderr.write(`» ${message}\n`);
  // Per target (children, data dirs, schemas), and for the whole run (a compiled gateway).
  const targetCleanup = createCleanupStack();
  const runCleanup = createCleanupStack();
  process.once('SIGINT', () => {
    progress('interrupted: stopping children and removing temp data');
    void targetCleanup
      .runAll()
      .then(() => runCleanup.runAll())
      .finally(() => process.exit(130));
  });
  if (settings.skippedTargets.includes('rampart-postgres')) {
    progress('rampart-postgres skipped: set RAMPART_BENCH_POSTGRES_URL or RAMPART_TEST_POSTGRES_URL');
  }

  try {
    const hasGateway = settings.targets.some((name) => name !== 'baseline');
    if (hasGateway && settings.gatewayRuntime === 'compiled') progress('compiling the gateway (tsc) into a temp dir');
    const gateway = hasGateway ? await prepareGatewayEntry(settings.gatewayRuntime, runCleanup) : null;
    const results: TargetReport[] = [];
    // One target at a time: on a small machine, concurrent targets would measure each other.
    for (const name of settings.targets) {
      results.push(await measureTarget(name, { settings, gateway, cleanup: targetCleanup }, progress));
    }
    return report(buildBenchDocument(settings, results));
  } finally {
    await runCleanup.runAll();
  }
}

function report(document: ReturnType<typeof buildBenchDocument>): number {
  mkdirSync(path.dirname(resultFile), { recursive: true });
  writeFileSync(resultFile, `${JSON.stringify(document, null, 2)}\n`);
  process.stdout.write(`\n${formatBenchReport(document)}\n\nresults: ${path.relative(repoRoot, resultFile)}\n`);
  // Missed targets are reported, not failed; a broken run (no start, crash, mass errors, lost data) fails.
  const broken = listBrokenRuns(document);
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
