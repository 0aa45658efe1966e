/**
 * The checks after the last entry of the walk. The walk covers the log as its head stood when the
 * verification began (the snapshot); a live gateway goes on appending meanwhile, so what lies
 * beyond the snapshot is judged against the head as it stands at the end: entries, nodes and
 * checkpoints there are fine exactly when appends since explain them. On a quiet log (the CLI) the
 * two heads are the same and nothing may lie beyond.
 */
import type { Kysely, Selectable } from 'kysely';
import type { DatabaseSchema } from '../db/database-schema.js';
import { countAuditEntries, countAuditEntriesBelow, countAuditNodes, countAuditNodesWithin, encodeFrontier, findFirstAuditEntryFrom, readRawAuditHead } from './audit-repository.js';
import type { StoredCheckpoint } from './audit-repository.js';
import type { AuditHeadTable } from './audit.table.js';
import type { AuditFinding } from './audit-verdict.js';
import type { MerkleFrontier } from './merkle-tree.js';

export interface LogEnd {
  snapshotHead: Selectable<AuditHeadTable> | undefined;
  frontier: MerkleFrontier;
  /** The first checkpoint beyond the walked entries, and how to judge it when appends do not explain it. */
  checkpointBeyond: StoredCheckpoint | undefined;
  judgeCheckpointBeyond(checkpoint: StoredCheckpoint, size: number): AuditFinding;
}

export async function checkLogEnd(db: Kysely<DatabaseSchema>, { snapshotHead, frontier, checkpointBeyond, judgeCheckpointBeyond }: LogEnd): Promise<AuditFinding | null> {
  const size = frontier.size;
  if (!snapshotHead) return { reason: 'head-mismatch', sequence: null, detail: 'the head row is missing' };
  const headSize = Number(snapshotHead.size);
  if (headSize > size) {
    return { reason: 'entry-missing', sequence: size, detail: `the head records ${headSize} entries; entries from ${size} on are missing (truncated)` };
  }
  if (!encodeFrontier(frontier).equals(snapshotHead.frontier)) {
    return { reason: 'head-mismatch', sequence: null, detail: 'the head\'s frontier differs from the entries\' (the next append would build on a wrong tree)' };
  }
  const entriesBelow = await countAuditEntriesBelow(db, size);
  if (entriesBelow !== size) {
    return { reason: 'entry-outside-sequence', sequence: null, detail: `${entriesBelow - size} stored entries lie outside the sequence 0–${size - 1}` };
  }
  const nodesWithin = await countAuditNodesWithin(db, size);
  if (nodesWithin !== countTreeNodes(size)) {
    return { reason: 'unexpected-nodes', sequence: null, detail: `${nodesWithin} nodes are stored for a tree of ${size} entries, which has ${countTreeNodes(size)}` };
  }
  // Counted before the live head is read: anything appended in between only raises the allowance.
  const entriesBeyond = (await countAuditEntries(db)) - entriesBelow;
  const nodesBeyond = (await countAuditNodes(db)) - nodesWithin;
  const liveSize = Math.max(size, Number((await readRawAuditHead(db))?.size ?? size));
  if (entriesBeyond > liveSize - size) {
    const rogue = (await findFirstAuditEntryFrom(db, liveSize)) ?? size;
    return { reason: 'head-mismatch', sequence: rogue, detail: `entry ${rogue} was written outside the log (the head records ${liveSize} entries)` };
  }
  if (nodesBeyond > countTreeNodes(liveSize) - countTreeNodes(size)) {
    return { reason: 'unexpected-nodes', sequence: null, detail: `${nodesBeyond} nodes are stored beyond a tree of ${size} entries; appends since account for ${countTreeNodes(liveSize) - countTreeNodes(size)}` };
  }
  if (checkpointBeyond && checkpointBeyond.treeSize > liveSize) return judgeCheckpointBeyond(checkpointBeyond, size);
  return null;
}

/** Complete subtrees of a tree of n leaves: Σ floor(n / 2^k) = 2n − popcount(n). */
function countTreeNodes(size: number): number {
  return 2 * size - size.toString(2).replaceAll('0', '').length;
}
