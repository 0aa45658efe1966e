import { randomBytes } from 'node:crypto';
import type { BenchSettings, TargetName } from './bench-settings.js';
import { startTarget } from './bench-targets.js';
import type { StartedTarget, StoredCounts } from './bench-targets.js';
import type { CleanupStack } from './cleanup-stack.js';
import { runLoadPhase } from './load-phase.js';
import type { LoadPhaseResult } from './load-phase.js';
import { sampleRss } from './rss-sampler.js';
import type { RssSampler } from './rss-sampler.js';
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

export interface TargetReport {
  name: TargetName;
  failure: string | null;
  warmup: LoadPhaseResult | null;
  run: LoadPhaseResult | null;
  /** Largest resident set of the target process during warm-up and run. */
  maxRssMb: number | null;
  /** Null for the baseline, which stores nothing. */
  storage: StorageCheck | null;
}

type Progress = (message: string) => void;

/** Starts one target, warms it up, measures it, checks what it stored, then undoes everything. */
export async function measureTarget(name: TargetName, settings: BenchSettings, cleanup: CleanupStack, progress: Progress): Promise<TargetReport> {
  const report: TargetReport = { name, failure: null, warmup: null, run: null, maxRssMb: null, storage: null };
  let sampler: RssSampler | null = null;
  try {
    progress(`${name}: starting`);
    const target = await startTarget(name, settings, cleanup);
    const bodies = createWebhookBodySource({ appSecret: target.appSecret, customers: settings.customers, runId: randomBytes(4).toString('hex') });
    const phase = (durationSeconds: number) => runLoadPhase({ url: target.url, connections: settings.connections, durationSeconds, bodies });
    sampler = sampleRss(target.child.pid);
    if (settings.warmupSeconds > 0) {
      progress(`${name}: warming up for ${settings.warmupSeconds} s`);
      report.warmup = await phase(settings.warmupSeconds);
    }
    progress(`${name}: measuring for ${settings.durationSeconds} s at ${settings.connections} connections`);
    report.run = await phase(settings.durationSeconds);
    report.maxRssMb = sampler.stop().maxRssMb;
    if (target.child.hasExited()) throw new Error(`exited during the run (${await target.child.exited}):\n${target.child.output()}`);
    report.storage = await checkStorage(target, [report.warmup, report.run]);
    const output = target.child.output().trim();
    if (output !== '') progress(`${name} logged (level warn and above):\n${output}`);
  } catch (error) {
    report.failure = error instanceof Error ? error.message : String(error);
  } finally {
    sampler?.stop();
    const failures = await cleanup.runAll();
    for (const failure of failures) progress(`${name}: cleanup failed: ${failure}`);
  }
  return report;
}

async function checkStorage(target: StartedTarget, phases: readonly (LoadPhaseResult | null)[]): Promise<StorageCheck | null> {
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

export function judgeStorage(stored: number, acknowledged: number, unanswered: number): StorageVerdict {
  if (stored < acknowledged) return 'lost';
  if (stored === acknowledged) return 'exact';
  return stored <= acknowledged + unanswered ? 'in-flight' : 'unexpected';
}

/** Requests abandoned by the load generator may still be committing: count until two reads agree. */
async function countWhenSettled(target: StartedTarget, timeoutMs = 10_000): Promise<StoredCounts | null> {
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
