/**
 * `verifyAuditLog`: walks every entry in order, in pages, and checks that the database still holds
 * the log that was written and signed. It recomputes everything from the entries' fields (leaf
 * hashes, the frontier, every stored subtree, the root at each checkpoint) and trusts nothing the
 * database says about itself except as something to compare against. Like the Merkle verifiers it
 * returns a verdict and never throws on what it reads; it throws only on its own configuration
 * (a malformed or empty `verifierKeys`) or when the database cannot be read.
 */
import type { Kysely } from 'kysely';
import type { DatabaseSchema } from '../db/database-schema.js';
import { hashAuditRecord } from './audit-entry-encoding.js';
import type { StoredAuditEntry } from './audit-repository.js';
import { listAuditEntries, listNodesCompletedBetween, readRawAuditHead } from './audit-repository.js';
import { listSigningKeys } from './audit-signing-keys.js';
import { createCheckpointWalk } from './audit-verifier-checkpoints.js';
import type { CheckpointWalk } from './audit-verifier-checkpoints.js';
import { checkLogEnd } from './audit-verifier-end.js';
import { createKeyTrust } from './audit-verifier-keys.js';
import type { AuditFinding, AuditRejectionReason, LatestCheckpoint, TrustedKeys } from './audit-verdict.js';
import { areHashesEqual, appendLeafHash, createEmptyFrontier } from './merkle-tree.js';
import type { MerkleFrontier, MerkleNode } from './merkle-tree.js';
import { parseNoteVerifierKey } from './signed-note.js';

export type { AuditRejectionReason, LatestCheckpoint, TrustedKeys } from './audit-verdict.js';

export interface VerifyAuditLogOptions {
  /**
   * The verifier keys to trust (`<name>+<hex>+<base64>`), pinned out of band: every version whose
   * checkpoints should verify. Without them the keys the database lists are used.
   */
  verifierKeys?: readonly string[];
  /** Entries read per query (default 1 000). */
  pageSize?: number;
}

interface VerdictCounts {
  readonly entriesChecked: number;
  readonly checkpointsChecked: number;
  readonly trustedKeys: TrustedKeys | null;
}

export type AuditVerdict =
  | (VerdictCounts & { readonly isIntact: true; readonly latestCheckpoint: LatestCheckpoint | null })
  | (VerdictCounts & {
      readonly isIntact: false;
      readonly reason: AuditRejectionReason;
      /** The first entry found bad (or, when only a checkpoint shows it, the first that may be); null when no entry is to blame. */
      readonly sequence: number | null;
      /** The checkpoint involved, when there is one. */
      readonly checkpointSize: number | null;
      readonly detail: string;
    });

/** Throws RangeError when `verifierKeys` is given but empty or holds a malformed key (a usage error, not a verdict). */
export async function verifyAuditLog(db: Kysely<DatabaseSchema>, options: VerifyAuditLogOptions = {}): Promise<AuditVerdict> {
  const pageSize = options.pageSize ?? 1_000;
  const given = options.verifierKeys;
  if (given?.length === 0) throw new RangeError('give at least one verifier key, or none to trust the database\'s');
  for (const key of given ?? []) parseNoteVerifierKey(key);
  // The head and the key table as they stood together: a rotation during the walk is judged like any later append.
  const { head, signingKeys } = await db
    .transaction()
    .setIsolationLevel('repeatable read')
    .execute(async (trx) => ({ head: await readRawAuditHead(trx), signingKeys: await listSigningKeys(trx) }));
  const trust = createKeyTrust({ given, stored: signingKeys });
  const checkpoints = createCheckpointWalk(db, trust, pageSize);
  const walk = { frontier: createEmptyFrontier(), entriesChecked: 0 };
  const counts = (): VerdictCounts => ({ entriesChecked: walk.entriesChecked, checkpointsChecked: checkpoints.checkedCount(), trustedKeys: trust.description });
  const fail = (finding: AuditFinding): AuditVerdict => ({ isIntact: false, checkpointSize: null, ...finding, ...counts() });

  // The walk covers the log as the head stood at the start; a live gateway's later appends are
  // judged at the end (audit-verifier-end.ts), so a verification can run while the log grows.
  const snapshotSize = Number(head?.size ?? 0);
  for (;;) {
    const entries = await listAuditEntries(db, { fromSeq: walk.frontier.size, limit: pageSize, beforeSeq: snapshotSize });
    const finding = await checkPage(db, entries, walk, checkpoints);
    if (finding) return fail(finding);
    if (entries.length < pageSize) break;
  }
  const finding =
    (await checkpoints.checkAt(walk.frontier)) ??
    (await checkLogEnd(db, { snapshotHead: head, frontier: walk.frontier, judgeCheckpointBeyond: checkpoints.judgeBeyond })) ??
    trust.checkPublishedKeys(head?.verifier_key ?? null);
  if (finding) return fail(finding);
  return { isIntact: true, latestCheckpoint: checkpoints.latest(), ...counts() };
}

/** One page: sequence, leaf hash, and stored subtrees of each entry, checkpoints as their sizes are reached. */
async function checkPage(
  db: Kysely<DatabaseSchema>,
  entries: readonly StoredAuditEntry[],
  walk: { frontier: MerkleFrontier; entriesChecked: number },
  checkpoints: CheckpointWalk,
): Promise<AuditFinding | null> {
  const start = walk.frontier.size;
  const stored = new Map((await listNodesCompletedBetween(db, start, start + entries.length)).map((node) => [nodeKey(node), node.hash]));
  for (const entry of entries) {
    const atCheckpoint = await checkpoints.checkAt(walk.frontier);
    if (atCheckpoint) return atCheckpoint;
    const expected = walk.frontier.size;
    if (entry.seq !== expected) {
      return { reason: 'entry-missing', sequence: expected, detail: `entry ${expected} is missing: the next stored entry is ${entry.seq} (deleted, or renumbered)` };
    }
    const leafHash = rehashEntry(entry);
    if (leafHash === null) return { reason: 'entry-malformed', sequence: expected, detail: `entry ${expected} holds values that cannot be encoded` };
    if (!areHashesEqual(leafHash, entry.leafHash)) {
      return { reason: 'leaf-hash-mismatch', sequence: expected, detail: `entry ${expected}'s fields do not hash to its stored leaf hash (edited, moved or replaced)` };
    }
    const appended = appendLeafHash(walk.frontier, leafHash);
    for (const node of appended.completedNodes) {
      const storedHash = stored.get(nodeKey(node));
      if (storedHash === undefined) return { reason: 'node-missing', sequence: expected, detail: `subtree ${nodeKey(node)}, completed by entry ${expected}, is not stored` };
      if (!areHashesEqual(storedHash, node.hash)) {
        const first = node.index * 2 ** node.level;
        return { reason: 'node-mismatch', sequence: expected, detail: `stored subtree ${nodeKey(node)} differs from the hash of entries ${first}–${expected}` };
      }
    }
    walk.frontier = appended.frontier;
    walk.entriesChecked += 1;
  }
  return null;
}

function rehashEntry(entry: StoredAuditEntry): Buffer | null {
  try {
    return hashAuditRecord(entry);
  } catch {
    return null;
  }
}

function nodeKey(node: Pick<MerkleNode, 'level' | 'index'>): string {
  return `${node.level}/${node.index}`;
}
