/**
 * The log as JSON lines for a SIEM or an auditor, streamed in pages. The export is a snapshot: it
 * covers the entries the head held when it started, ends with the newest checkpoint within them,
 * and (with `since`) starts with the subtree hashes of the entries left out, so a reader can
 * recompute the signed root from the export alone (README: "Verifying an export").
 */
import type { Kysely } from 'kysely';
import type { DatabaseSchema } from '../db/database-schema.js';
import type { StoredAuditEntry } from './audit-repository.js';
import { createStoredNodeSource, listAuditEntries, readAuditHead, readLatestCheckpoint } from './audit-repository.js';
import { listSigningKeys } from './audit-signing-keys.js';
import { listCoveringNodes } from './merkle-node.js';
import { resolveProofPlan } from './merkle-tree.js';

export interface AuditExportOptions {
  /** First sequence number to export (default 0). */
  since?: number;
  pageSize?: number;
}

/** Yields one JSON text per line (without the newline): an optional `prefix`, the entries, then the checkpoint. */
export async function* streamAuditExport(db: Kysely<DatabaseSchema>, { since = 0, pageSize = 1_000 }: AuditExportOptions = {}): AsyncGenerator<string> {
  if (!Number.isSafeInteger(since) || since < 0) throw new RangeError('since must be a non-negative integer');
  const end = (await readAuditHead(db)).size;
  const start = Math.min(since, end);
  if (start > 0) yield JSON.stringify({ type: 'prefix', treeSize: start, hashes: await readPrefixHashes(db, start) });
  for (let next = start; next < end; ) {
    const entries = await listAuditEntries(db, { fromSeq: next, beforeSeq: end, limit: pageSize });
    if (entries.length === 0) break;
    for (const entry of entries) yield JSON.stringify(toExportedEntry(entry));
    next = (entries.at(-1) as StoredAuditEntry).seq + 1;
  }
  const checkpoint = await readLatestCheckpoint(db, end);
  if (checkpoint) {
    const key = (await listSigningKeys(db)).find((candidate) => candidate.version === checkpoint.signingKeyVersion);
    yield JSON.stringify({
      type: 'checkpoint',
      treeSize: checkpoint.treeSize,
      rootHash: checkpoint.rootHash.toString('base64'),
      note: checkpoint.note,
      // Which key signed it, as the database lists it: a reader checks the note with the keys they pinned.
      signingKeyVersion: checkpoint.signingKeyVersion,
      verifierKey: key?.verifierKey ?? null,
    });
  }
}

/** The complete subtrees covering entries [0, size), largest first: the frontier a reader resumes from. */
async function readPrefixHashes(db: Kysely<DatabaseSchema>, size: number): Promise<string[]> {
  const nodes = listCoveringNodes(0, size);
  const hashes = await resolveProofPlan(createStoredNodeSource(db), nodes.map((node) => [node]));
  return hashes.map((hash) => hash.toString('base64'));
}

function toExportedEntry(entry: StoredAuditEntry) {
  return {
    type: 'entry',
    seq: entry.seq,
    entryId: entry.entryId,
    occurredAt: entry.occurredAt,
    actor: { type: entry.actorType, id: entry.actorId, label: entry.actorLabel },
    action: entry.action,
    resource: { type: entry.resourceType, id: entry.resourceId },
    subjectContactId: entry.subjectContactId,
    sourceAddress: entry.sourceAddress,
    requestId: entry.requestId,
    outcome: entry.outcome,
    details: parseDetails(entry.details),
    // The exact stored text: what the leaf encodes, so a reader rehashes it without re-serialising.
    detailsJson: entry.details,
    leafHash: entry.leafHash.toString('base64'),
  };
}

function parseDetails(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}
