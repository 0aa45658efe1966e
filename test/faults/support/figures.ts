import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../../support/shared-fixtures.js';

/**
 * The fault's outcome in the one-line form. Counts are of distinct events (webhooks) or
 * sends (outbox), taken from the sender's record and the store after the fault:
 * sent = attempted at least once, acked = answered as accepted (200 / 202), stored = acked and
 * found in the store, duplicates = copies beyond one per event, lost = acked and not there.
 */
export interface FaultSummary {
  sent: number;
  acked: number;
  stored: number;
  duplicates: number;
  lost: number;
}

export function formatFaultSummary(scenario: string, { sent, acked, stored, duplicates, lost }: FaultSummary): string {
  return `fault ${scenario}: sent ${sent} acked ${acked} stored ${stored} duplicates ${duplicates} lost ${lost}`;
}

/**
 * Prints a scenario's summary line (`fault <name>: sent N acked N stored N duplicates N lost N`)
 * and its measured figures (one line, greppable by `[faults]`) in the test output, and keeps both
 * in test-results/faults/<scenario>.json for CI to archive.
 */
export function recordFigures(scenario: string, summary: FaultSummary, figures: Record<string, unknown>): void {
  const summaryLine = formatFaultSummary(scenario, summary);
  console.log(summaryLine);
  console.log(`[faults] ${scenario} ${JSON.stringify(figures)}`);
  try {
    const dir = path.join(repoRoot, 'test-results', 'faults');
    mkdirSync(dir, { recursive: true });
    const document = { scenario, recordedAt: new Date().toISOString(), summary, summaryLine, ...figures };
    writeFileSync(path.join(dir, `${scenario}.json`), `${JSON.stringify(document, null, 2)}\n`);
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
