/**
 * One append transaction: lock the head, number the entries from its size, hash them into the
 * frontier, and write entries, completed subtrees and the new head together. Nothing is kept in
 * memory between transactions, so every process appends to the tree the database holds.
 */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { DatabaseSchema } from '../db/database-schema.js';
import type { DialectName } from '../db/database.js';
import { hashAuditRecord } from './audit-entry-encoding.js';
import type { AuditEntryInput } from './audit-entry.js';
import { toAuditRecord } from './audit-entry.js';
import type { StoredAuditEntry } from './audit-repository.js';
import { insertAuditEntries, insertAuditNodes, lockAuditHead, updateAuditHead } from './audit-repository.js';
import { appendLeafHash } from './merkle-tree.js';
import type { MerkleNode } from './merkle-tree.js';

export interface AppendedAuditEntry {
  /** The entry's leaf index: gap-free from 0. */
  readonly seq: number;
  readonly entryId: string;
  readonly leafHash: Buffer;
}

/** Appends already-validated entries inside the caller's transaction; they exist once it commits. */
export async function appendAuditEntries(
  trx: Kysely<DatabaseSchema>,
  dialect: DialectName,
  entries: readonly AuditEntryInput[],
  now: number,
): Promise<AppendedAuditEntry[]> {
  const head = await lockAuditHead(trx, dialect);
  let frontier = head.frontier;
  const stored: StoredAuditEntry[] = [];
  const nodes: MerkleNode[] = [];
  for (const entry of entries) {
    const record = toAuditRecord(entry, { seq: frontier.size, entryId: randomUUID(), now });
    const leafHash = hashAuditRecord(record);
    const appended = appendLeafHash(frontier, leafHash);
    frontier = appended.frontier;
    nodes.push(...appended.completedNodes);
    stored.push({ ...record, leafHash });
  }
  await insertAuditEntries(trx, stored);
  await insertAuditNodes(trx, nodes);
  await updateAuditHead(trx, frontier, now);
  return stored.map(({ seq, entryId, leafHash }) => ({ seq, entryId, leafHash }));
}
