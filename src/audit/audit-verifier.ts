/**
 * `verifyAuditLog`: walks every entry in order, in pages, and checks that the database still holds
 * the log that was written and signed. It recomputes everything from the entries' fields (leaf
 * hashes, the frontier, every stored subtree, the root at each checkpoint) and trusts nothing the
 * database says about itself except as something to compare against. Like the Merkle verifiers it
 * returns a verdict and never throws on what it reads; it throws only on its own configuration
 * (a malformed `verifierKey`) or when the database cannot be read.
 */
import type { Kysely } from 'kysely';
import type { DatabaseSchema } from '../db/database-schema.js';
import { hashAuditRecord } from './audit-entry-encoding.js';
import type { StoredAuditEntry } from './audit-repository.js';
import { listAuditEntries, listNodesCompletedBetween, readRawAuditHead } from './audit-repository.js';
import { createCheckpointWalk } from './audit-verifier-checkpoints.js';
import type { CheckpointWalk } from './audit-verifier-checkpoints.js';
import { checkLogEnd } from './audit-verifier-end.js';
import type { AuditFinding, AuditRejectionReason, LatestCheckpoint, TrustedKey } from './audit-verdict.js';
import { areHashesEqual, appendLeafHash, createEmptyFrontier } from './merkle-tree.js';
import type { MerkleFrontier, MerkleNode } from './merkle-tree.js';
import type { NoteVerifierKey } from './signed-note.js';
import { parseNoteVerifierKey } from './signed-note.js';

export type { AuditRejectionReason, LatestCheckpoint, TrustedKey } from './audit-verdict.js';

export interface VerifyAuditLogOptions {
  /** The verifier key to trust (`<name>+<hex>+<base64>`), pinned out of band. Without it the key stored in the database is used. */
  verifierKey?: string;
  /** Entries read per query (default 1 000). */
  pageSize?: number;
}

interface VerdictCounts {
  readonly entriesChecked: number;
  readonly checkpointsChecked: number;
  readonly trustedKey: TrustedKey | null;
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

/** Throws RangeError when `verifierKey` is given but malformed (a usage error, not a verdict). */
export async function verifyAuditLog(db: Kysely<DatabaseSchema>, options: VerifyAuditLogOptions = {}): Promise<AuditVerdict> {
  const pageSize = options.pageSize ?? 1_000;
  const given = options.verifierKey === undefined ? undefined : parseNoteVerifierKey(options.verifierKey);
  const head = await readRawAuditHead(db);
  const trusted = chooseTrustedKey(options.verifierKey, given, head?.verifier_key ?? null);
  const checkpoints = createCheckpointWalk(db, trusted.key, pageSize);
  const walk = { frontier: createEmptyFrontier(), entriesChecked: 0 };
  const counts = (): VerdictCounts => ({ entriesChecked: walk.entriesChecked, checkpointsChecked: checkpoints.checkedCount(), trustedKey: trusted.description });
  const fail = (finding: AuditFinding): AuditVerdict => ({ isIntact: false, checkpointSize: null, ...finding, ...counts() });

  // The walk covers the log as the head stood at the start; a live gateway's later appends are
  // judged at the end (audit-verifier-end.ts), so a verification can run while the log grows.
  const snapshotSize = Number(head?.size ?? 0);
  for (;;) {
    const entries = await listAuditEntries(db, { fromSeq: walk.frontier.size, limit: pageSize, beforeSeq: snapshotSize });
    const finding = await checkPage(db, entries, walk, checkpoints, trusted.problem);
    if (finding) return fail(finding);
    if (entries.length < pageSize) break;
  }
  const finding =
    (await checkpoints.checkAt(walk.frontier, trusted.problem)) ??
    (await checkLogEnd(db, { snapshotHead: head, frontier: walk.frontier, judgeCheckpointBeyond: checkpoints.judgeBeyond })) ??
    checkStoredKey(given, head?.verifier_key ?? null);
  if (finding) return fail(finding);
  return { isIntact: true, latestCheckpoint: checkpoints.latest(), ...counts() };
}

/** One page: sequence, leaf hash, and stored subtrees of each entry, checkpoints as their sizes are reached. */
async function checkPage(
  db: Kysely<DatabaseSchema>,
  entries: readonly StoredAuditEntry[],
  walk: { frontier: MerkleFrontier; entriesChecked: number },
  checkpoints: CheckpointWalk,
  keyProblem: string | null,
): Promise<AuditFinding | null> {
  const start = walk.frontier.size;
  const stored = new Map((await listNodesCompletedBetween(db, start, start + entries.length)).map((node) => [nodeKey(node), node.hash]));
  for (const entry of entries) {
    const atCheckpoint = await checkpoints.checkAt(walk.frontier, keyProblem);
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

interface TrustChoice {
  key: NoteVerifierKey | null;
  description: TrustedKey | null;
  /** Why checkpoints cannot be checked, when no usable key exists. */
  problem: string | null;
}

function chooseTrustedKey(givenText: string | undefined, given: NoteVerifierKey | undefined, storedText: string | null): TrustChoice {
  if (given && givenText !== undefined) return { key: given, description: { verifierKey: givenText, source: 'given' }, problem: null };
  if (storedText === null) return { key: null, description: null, problem: 'no verifier key is stored and none was given' };
  try {
    return { key: parseNoteVerifierKey(storedText), description: { verifierKey: storedText, source: 'database' }, problem: null };
  } catch {
    return { key: null, description: null, problem: 'the verifier key stored in the database is malformed' };
  }
}

/** The key a verifier pinned must be the one the database publishes; a replaced one is evidence of tampering. */
function checkStoredKey(given: NoteVerifierKey | undefined, storedText: string | null): AuditFinding | null {
  if (!given || storedText === null) return null;
  let stored: NoteVerifierKey | null = null;
  try {
    stored = parseNoteVerifierKey(storedText);
  } catch {
    // A malformed stored key is as replaced as a well-formed foreign one.
  }
  const isSame = stored !== null && stored.name === given.name && stored.publicKey.equals(given.publicKey);
  if (isSame) return null;
  return { reason: 'verifier-key-replaced', sequence: null, detail: 'the verifier key stored in the database is not the one given: it was replaced' };
}
