/**
 * Full verification of the audit log (`verifyAuditLog`) run in the background for the dashboard:
 * one run at a time per process, its result kept with when it started and how many entries it
 * covered. Runs are started by hand (POST /api/v1/audit/verify) or, when the status is read, again
 * automatically once the last result is old enough. "Old enough" grows with the log: a run may
 * take at most AUTO_DUTY_CYCLE of the time, so a log that takes 10 s to verify is re-verified at
 * most every ~17 minutes, and a small one every AUTO_MIN_INTERVAL_MS.
 *
 * Every manual run is recorded in the log (who asked, what it found). Automatic runs are recorded
 * only when they find damage or their finding differs from the previous run's, so a dashboard left
 * open does not fill the log with "still intact".
 */
import { performance } from 'node:perf_hooks';
import type { FastifyBaseLogger } from 'fastify';
import type { Clock } from '../../clock.js';
import type { Db } from '../../db/database.js';
import type { AuditEntryInput } from '../audit-entry.js';
import type { AuditLog } from '../audit-log.js';
import { verifyAuditLog } from '../audit-verifier.js';
import type { AuditVerdict } from '../audit-verifier.js';
import type { RequestActor } from './request-actor.js';
import { yieldBetweenQueries } from './yielding-db.js';

export const AUTO_MIN_INTERVAL_MS = 5 * 60_000;
export const AUTO_DUTY_CYCLE = 0.01;
/** Entries per query: about 30 ms of hashing on a laptop between two turns of the event loop. */
const VERIFY_PAGE_SIZE = 200;

export interface VerificationView {
  state: 'intact' | 'broken' | 'running' | 'never-run';
  checkedAt: number | null;
  checkedSize: number | null;
  firstBadSeq: number | null;
  message: string | null;
}

interface CompletedRun {
  isIntact: boolean;
  checkedAt: number;
  checkedSize: number;
  firstBadSeq: number | null;
  reason: string | null;
  message: string | null;
  durationMs: number;
}

export type VerificationTrigger = { kind: 'manual'; requester: RequestActor } | { kind: 'automatic' };

export interface VerificationMonitorOptions {
  db: Db;
  audit: Pick<AuditLog, 'append' | 'readTreeHead' | 'listTrustedVerifierKeys'>;
  clock: Clock;
  logger: FastifyBaseLogger;
  minAutoIntervalMs?: number;
}

export function createVerificationMonitor({ db, audit, clock, logger, minAutoIntervalMs = AUTO_MIN_INTERVAL_MS }: VerificationMonitorOptions) {
  const walkDb = yieldBetweenQueries(db);
  let last: CompletedRun | null = null;
  let running: Promise<void> | null = null;
  /** The verdict that stood when the running run began: shown while it runs if it was `broken`. */
  let verdictBeforeRun: CompletedRun | null = null;
  /** Set when the newest attempt could not finish (database unreachable); the result before it still stands. */
  let unfinishedNote: string | null = null;

  function describe(): VerificationView {
    // A broken verdict stands until a finished run says otherwise: a re-run (anyone with audit.read
    // can start one) must not hide the alarm while it walks.
    const standing = verdictBeforeRun;
    if (running && standing && !standing.isIntact) {
      return { state: 'broken', checkedAt: standing.checkedAt, checkedSize: standing.checkedSize, firstBadSeq: standing.firstBadSeq, message: `${standing.message ?? 'broken'} (checking again now)` };
    }
    if (running) return { state: 'running', checkedAt: last?.checkedAt ?? null, checkedSize: last?.checkedSize ?? null, firstBadSeq: null, message: null };
    if (!last) return { state: 'never-run', checkedAt: null, checkedSize: null, firstBadSeq: null, message: unfinishedNote };
    return {
      state: last.isIntact ? 'intact' : 'broken',
      checkedAt: last.checkedAt,
      checkedSize: last.checkedSize,
      firstBadSeq: last.firstBadSeq,
      message: unfinishedNote ?? last.message,
    };
  }

  /** Starts a run unless one is running; either way answers the state it leaves. */
  function start(trigger: VerificationTrigger): VerificationView {
    if (!running) {
      verdictBeforeRun = last;
      running = runOnce(trigger).finally(() => {
        running = null;
      });
    }
    return describe();
  }

  /** The cheap part of reading the status: starts an automatic run when the last result is old enough. */
  function startIfDue(): void {
    if (running || !isAutomaticRunDue()) return;
    start({ kind: 'automatic' });
  }

  function isAutomaticRunDue(): boolean {
    if (!last) return true;
    const spacing = Math.max(minAutoIntervalMs, last.durationMs / AUTO_DUTY_CYCLE);
    return clock.now() - last.checkedAt >= spacing;
  }

  async function runOnce(trigger: VerificationTrigger): Promise<void> {
    const checkedAt = clock.now();
    const startedAt = performance.now();
    let verdict: AuditVerdict;
    let sizeAtStart: number;
    try {
      sizeAtStart = (await audit.readTreeHead()).size;
      // This deployment's own keys, every version as the KMS unwraps it: a key replaced or added in
      // the database cannot vouch for a rewritten log. Picks up a rotation made since the last run.
      const trusted = await audit.listTrustedVerifierKeys();
      const pinned = trusted === null ? {} : { verifierKeys: trusted };
      // Small pages, each query giving way to other work: the walk shares the process with webhooks.
      verdict = await verifyAuditLog(walkDb, { ...pinned, pageSize: VERIFY_PAGE_SIZE });
    } catch (error) {
      unfinishedNote = 'The last verification could not finish (the database could not be read); the result shown is from the run before it.';
      logger.warn({ err: error }, 'audit verification could not finish');
      if (trigger.kind === 'manual') await record(trigger, { result: 'incomplete' }, 'failed');
      return;
    }
    const previous = last;
    last = toCompletedRun(verdict, { checkedAt, sizeAtStart, durationMs: performance.now() - startedAt });
    unfinishedNote = null;
    if (!last.isIntact) logger.error({ firstBadSeq: last.firstBadSeq, reason: last.reason }, 'audit verification found the log altered');
    // A first "intact" is the expected state, not news; damage, and any change after it, is.
    const isNews = previous === null ? !last.isIntact : previous.isIntact !== last.isIntact || previous.firstBadSeq !== last.firstBadSeq;
    if (trigger.kind === 'manual' || isNews) {
      const details = { result: last.isIntact ? 'intact' : 'broken', checkedSize: last.checkedSize, firstBadSeq: last.firstBadSeq, reason: last.reason, durationMs: Math.round(last.durationMs) };
      await record(trigger, details, last.isIntact ? 'success' : 'failed');
    }
  }

  async function record(trigger: VerificationTrigger, details: Record<string, string | number | null>, outcome: AuditEntryInput['outcome']): Promise<void> {
    const requester = trigger.kind === 'manual' ? trigger.requester : null;
    const entry: AuditEntryInput = {
      actor: requester?.actor ?? { type: 'system', id: 'audit-verifier' },
      action: 'audit.verify',
      resource: { type: 'audit-log', id: 'audit' },
      sourceAddress: requester?.sourceAddress ?? null,
      requestId: requester?.requestId ?? null,
      outcome,
      details: { ...details, trigger: trigger.kind },
    };
    // Verification itself already happened; losing its entry is logged, not thrown into the void of a background task.
    await audit.append(entry).catch((error: unknown) => logger.error({ err: error }, 'the audit verification run could not be recorded'));
  }

  /** Waits for a running verification, at most `timeoutMs` (shutdown must not wait for a long walk). */
  async function settle(timeoutMs: number): Promise<void> {
    if (!running) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    });
    await Promise.race([running, timeout]);
    clearTimeout(timer);
  }

  return { describe, start, startIfDue, settle };
}

export type VerificationMonitor = ReturnType<typeof createVerificationMonitor>;

function toCompletedRun(verdict: AuditVerdict, run: { checkedAt: number; sizeAtStart: number; durationMs: number }): CompletedRun {
  if (verdict.isIntact) {
    return { isIntact: true, checkedAt: run.checkedAt, checkedSize: verdict.entriesChecked, firstBadSeq: null, reason: null, message: null, durationMs: run.durationMs };
  }
  return {
    isIntact: false,
    checkedAt: run.checkedAt,
    checkedSize: Math.max(run.sizeAtStart, verdict.entriesChecked),
    firstBadSeq: verdict.sequence,
    reason: verdict.reason,
    // The verdict's words name sequence numbers and subtrees, never an entry's contents.
    message: `${verdict.reason}: ${verdict.detail}`,
    durationMs: run.durationMs,
  };
}
