/**
 * The checks after the last entry of the walk. The walk covers the log as its head stood when the
 * verification began (the snapshot); a live gateway goes on appending meanwhile. So the end is
 * judged inside one read transaction (REPEATABLE READ on PostgreSQL; on SQLite the one connection
 * runs nothing else meanwhile): the head as it stands then must account exactly for every entry,
 * node and checkpoint stored beyond the walked ones. On a quiet log the two heads are one and
 * nothing may lie beyond.
 */
import type { Kysely, Selectable } from 'kysely';
import type { DatabaseSchema } from '../db/database-schema.js';
import { countAuditEntries, countAuditEntriesBelow, countAuditNodes, countAuditNodesWithin, encodeFrontier, findFirstAuditEntryFrom, listCheckpoints, readRawAuditHead } from './audit-repository.js';
import type { StoredCheckpoint } from './audit-repository.js';
import type { AuditHeadTable } from './audit.table.js';
import type { AuditFinding } from './audit-verdict.js';
import type { MerkleFrontier } from './merkle-tree.js';

export interface LogEnd {
  snapshotHead: Selectable<AuditHeadTable> | undefined;
  frontier: MerkleFrontier;
  /** A checkpoint signing more entries than the log holds: the log was truncated (or the checkpoint forged). */
  judgeCheckpointBeyond(checkpoint: StoredCheckpoint, size: number): AuditFinding;
}

export async function checkLogEnd(db: Kysely<DatabaseSchema>, { snapshotHead, frontier, judgeCheckpointBeyond }: LogEnd): Promise<AuditFinding | null> {
  const size = frontier.size;
  if (!snapshotHead) return { reason: 'head-mismatch', sequence: null, detail: 'the head row is missing' };
  const headSize = Number(snapshotHead.size);
  if (headSize > size) {
    return { reason: 'entry-missing', sequence: size, detail: `the head records ${headSize} entries; entries from ${size} on are missing (truncated)` };
  }
  if (!encodeFrontier(frontier).equals(snapshotHead.frontier)) {
    return { reason: 'head-mismatch', sequence: null, detail: 'the head\'s frontier differs from the entries\' (the next append would build on a wrong tree)' };
  }
  return db
    .transaction()
    .setIsolationLevel('repeatable read')
    .execute(async (trx) => {
      const entriesBelow = await countAuditEntriesBelow(trx, size);
      if (entriesBelow !== size) {
        return { reason: 'entry-outside-sequence', sequence: null, detail: `${entriesBelow - size} stored entries lie outside the sequence 0–${size - 1}` };
      }
      const nodesWithin = await countAuditNodesWithin(trx, size);
      if (nodesWithin !== countTreeNodes(size)) {
        return { reason: 'unexpected-nodes', sequence: null, detail: `${nodesWithin} nodes are stored for a tree of ${size} entries, which has ${countTreeNodes(size)}` };
      }
      const liveSize = Math.max(size, Number((await readRawAuditHead(trx))?.size ?? size));
      const entriesBeyond = (await countAuditEntries(trx)) - entriesBelow;
      if (entriesBeyond !== liveSize - size) {
        const rogue = (await findFirstAuditEntryFrom(trx, liveSize)) ?? size;
        return { reason: 'head-mismatch', sequence: rogue, detail: `entry ${rogue} was written outside the log (the head records ${liveSize} entries)` };
      }
      const nodesBeyond = (await countAuditNodes(trx)) - nodesWithin;
      const nodesAppended = countTreeNodes(liveSize) - countTreeNodes(size);
      if (nodesBeyond !== nodesAppended) {
        return { reason: 'unexpected-nodes', sequence: null, detail: `${nodesBeyond} nodes are stored beyond a tree of ${size} entries; the entries appended since account for ${nodesAppended}` };
      }
      const [checkpointBeyond] = await listCheckpoints(trx, { afterSize: liveSize, limit: 1 });
      return checkpointBeyond ? judgeCheckpointBeyond(checkpointBeyond, size) : null;
    });
}

/** Complete subtrees of a tree of n leaves: Σ floor(n / 2^k) = 2n − popcount(n). */
function countTreeNodes(size: number): number {
  return 2 * size - size.toString(2).replaceAll('0', '').length;
}
