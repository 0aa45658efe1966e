import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../../support/shared-fixtures.js';

/**
 * Prints a scenario's measured figures in the test output (one line, greppable by `[faults]`) and
 * keeps them in test-results/faults/<scenario>.json for CI to archive.
 */
export function recordFigures(scenario: string, figures: Record<string, unknown>): void {
  console.log(`[faults] ${scenario} ${JSON.stringify(figures)}`);
  try {
    const dir = path.join(repoRoot, 'test-results', 'faults');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, `${scenario}.json`), `${JSON.stringify({ scenario, recordedAt: new Date().toISOString(), ...figures }, null, 2)}\n`);
  } catch {
    // The figures are in the output already; a read-only checkout must not fail the scenario.
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Milliseconds from the scenario's start to each named moment, for the figures. */
export function createTimeline() {
  const startedAt = Date.now();
  const marks: Record<string, number> = {};
  return {
    startedAt,
    mark(name: string): number {
      const now = Date.now();
      marks[name] = now - startedAt;
      return now;
    },
    elapsedMs: () => Date.now() - startedAt,
    marks: () => ({ ...marks }),
  };
}
