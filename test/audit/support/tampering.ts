/**
 * What an attacker with write access to the database can do to the audit tables, done directly
 * in SQL as they would, bypassing the log's code.
 */
import { randomUUID } from 'node:crypto';
import { hashAuditRecord } from '../../../src/audit/audit-entry-encoding.js';
import { insertAuditEntries, insertAuditNodes, listAuditEntries, updateAuditHead } from '../../../src/audit/audit-repository.js';
import type { StoredAuditEntry } from '../../../src/audit/audit-repository.js';
import { appendLeafHash, createEmptyFrontier } from '../../../src/audit/merkle-tree.js';
import type { MerkleNode } from '../../../src/audit/merkle-tree.js';
import type { Db } from '../../../src/db/database.js';

export async function readEntry(db: Db, seq: number): Promise<StoredAuditEntry> {
  const [entry] = await listAuditEntries(db, { fromSeq: seq, beforeSeq: seq + 1, limit: 1 });
  if (!entry) throw new Error(`no entry ${seq}`);
  return entry;
}

/** Moves entries so that `first` and `second` trade places (their sequence numbers swap). */
export async function swapEntries(db: Db, first: number, second: number): Promise<void> {
  const parked = 1_000_000_000;
  await db.updateTable('audit_entries').set({ seq: parked }).where('seq', '=', first).execute();
  await db.updateTable('audit_entries').set({ seq: first }).where('seq', '=', second).execute();
  await db.updateTable('audit_entries').set({ seq: second }).where('seq', '=', parked).execute();
}

/** Inserts a well-formed entry (correct leaf hash for its position) at `seq`, renumbering the later ones. */
export async function insertEntryAt(db: Db, seq: number, template: StoredAuditEntry): Promise<void> {
  // Two steps: a unique key is checked row by row on PostgreSQL, so seq + 1 in place could collide.
  await db.updateTable('audit_entries').set((eb) => ({ seq: eb('seq', '+', 1_000_000_000) })).where('seq', '>=', seq).execute();
  await db.updateTable('audit_entries').set((eb) => ({ seq: eb('seq', '-', 999_999_999) })).where('seq', '>=', 1_000_000_000).execute();
  const forged = { ...template, seq, entryId: randomUUID(), action: 'contact.export' };
  await insertAuditEntries(db, [{ ...forged, leafHash: hashAuditRecord(forged) }]);
}

/**
 * The thorough attacker: after changing entries, recomputes every leaf hash, every stored node and
 * the head from them, so the database is self-consistent. Only a signed checkpoint can tell.
 */
export async function rewriteAllHashes(db: Db): Promise<void> {
  const entries = await listAuditEntries(db, { fromSeq: 0, limit: 1_000_000 });
  let frontier = createEmptyFrontier();
  const nodes: MerkleNode[] = [];
  await db.deleteFrom('audit_nodes').execute();
  for (const entry of entries) {
    const leafHash = hashAuditRecord(entry);
    await db.updateTable('audit_entries').set({ leaf_hash: leafHash }).where('seq', '=', entry.seq).execute();
    const appended = appendLeafHash(frontier, leafHash);
    frontier = appended.frontier;
    nodes.push(...appended.completedNodes);
  }
  await insertAuditNodes(db, nodes);
  await updateAuditHead(db, frontier, Date.now());
}
