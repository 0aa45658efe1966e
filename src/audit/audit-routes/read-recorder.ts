/**
 * Reading the audit log is itself recorded, since entries show who did what, when and from where.
 * Exports are recorded every time (`audit.export`). Reading pages of entries (`audit.read`) is
 * recorded once per reader per window, not per page: paging through the log, a dashboard
 * refreshing it, or a SIEM polling it with an API key would otherwise write an entry for every
 * look, each of which shows up on the next page. The window is kept per process (several gateways
 * may each record one). The status, checkpoint and proofs reveal no entry's contents and are not
 * recorded.
 */
import type { Clock } from '../../clock.js';
import type { AuditDetails } from '../audit-entry.js';
import type { AuditLog } from '../audit-log.js';
import type { RequestActor } from './request-actor.js';

export const READ_RECORD_WINDOW_MS = 15 * 60_000;
/** Readers remembered at most; beyond it the oldest are forgotten (bounded memory). */
const MAX_REMEMBERED_READERS = 10_000;

export function createAuditReadRecorder({ audit, clock, windowMs = READ_RECORD_WINDOW_MS }: { audit: Pick<AuditLog, 'append'>; clock: Clock; windowMs?: number }) {
  /** Reader key → when their last `audit.read` was recorded; insertion order is age order. */
  const lastRecorded = new Map<string, number>();

  async function append(reader: RequestActor, action: 'audit.read' | 'audit.export', details: AuditDetails): Promise<void> {
    await audit.append({
      actor: reader.actor,
      action,
      resource: { type: 'audit-log', id: 'audit' },
      sourceAddress: reader.sourceAddress,
      requestId: reader.requestId,
      outcome: 'success',
      details,
    });
  }

  /**
   * Before a page of entries is shown (as with every audited access, the entry comes first: if it
   * cannot be written the read is refused with AUDIT_UNAVAILABLE), unless this reader was recorded
   * within the window.
   */
  async function recordEntriesRead(reader: RequestActor, details: AuditDetails): Promise<void> {
    const now = clock.now();
    const previous = lastRecorded.get(reader.key);
    if (previous !== undefined && now - previous < windowMs) return;
    await append(reader, 'audit.read', details);
    lastRecorded.delete(reader.key);
    lastRecorded.set(reader.key, now);
    while (lastRecorded.size > MAX_REMEMBERED_READERS) lastRecorded.delete(lastRecorded.keys().next().value as string);
  }

  /** Before an export starts: every export is its own entry. */
  async function recordExport(reader: RequestActor, details: AuditDetails): Promise<void> {
    await append(reader, 'audit.export', details);
  }

  return { recordEntriesRead, recordExport };
}

export type AuditReadRecorder = ReturnType<typeof createAuditReadRecorder>;
