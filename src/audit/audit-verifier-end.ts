/** The checks after the last entry: the head and the table sizes must agree with the walk. */
import type { Kysely, Selectable } from 'kysely';
import type { DatabaseSchema } from '../db/database-schema.js';
import { countAuditEntries, countAuditNodes, encodeFrontier } from './audit-repository.js';
import type { AuditHeadTable } from './audit.table.js';
import type { AuditFinding } from './audit-verdict.js';
import type { MerkleFrontier } from './merkle-tree.js';

export async function checkLogEnd(
  db: Kysely<DatabaseSchema>,
  head: Selectable<AuditHeadTable> | undefined,
  frontier: MerkleFrontier,
): Promise<AuditFinding | null> {
  const size = frontier.size;
  if (!head) return { reason: 'head-mismatch', sequence: null, detail: 'the head row is missing' };
  const headSize = Number(head.size);
  if (headSize > size) {
    return { reason: 'entry-missing', sequence: size, detail: `the head records ${headSize} entries; entries from ${size} on are missing (truncated)` };
  }
  if (headSize < size) {
    return { reason: 'head-mismatch', sequence: headSize, detail: `entries from ${headSize} on were written outside the log (the head records ${headSize})` };
  }
  if (!encodeFrontier(frontier).equals(head.frontier)) {
    return { reason: 'head-mismatch', sequence: null, detail: 'the head\'s frontier differs from the entries\' (the next append would build on a wrong tree)' };
  }
  const entryCount = await countAuditEntries(db);
  if (entryCount !== size) {
    return { reason: 'entry-outside-sequence', sequence: null, detail: `${entryCount - size} stored entries lie outside the sequence 0–${size - 1}` };
  }
  const nodeCount = await countAuditNodes(db);
  const expectedNodes = 2 * size - countSetBits(size);
  if (nodeCount !== expectedNodes) {
    return { reason: 'unexpected-nodes', sequence: null, detail: `${nodeCount} nodes are stored; a tree of ${size} entries has ${expectedNodes}` };
  }
  return null;
}

/** Complete subtrees of a tree of n leaves: Σ floor(n / 2^k) = 2n − popcount(n). */
function countSetBits(value: number): number {
  return value.toString(2).replaceAll('0', '').length;
}
