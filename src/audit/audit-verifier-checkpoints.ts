/**
 * The checkpoints side of the verification walk: checkpoints are read in pages, in size order, and
 * each is checked when the entry walk reaches its size: signature and origin under the trusted key
 * its note names (audit-verifier-keys.ts), the row against its note, the key not retired there, the
 * recomputed root against the signed one, and a consistency proof (from the stored nodes, as a
 * witness would get it) from the checkpoint before.
 */
import type { Kysely } from 'kysely';
import type { DatabaseSchema } from '../db/database-schema.js';
import type { StoredCheckpoint } from './audit-repository.js';
import { createStoredNodeSource, listCheckpoints } from './audit-repository.js';
import type { AuditFinding, LatestCheckpoint } from './audit-verdict.js';
import type { KeyTrust, KnownKey, OpenedCheckpoint } from './audit-verifier-keys.js';
import type { Checkpoint } from './checkpoint.js';
import { areHashesEqual, computeFrontierRoot, createConsistencyProof, verifyConsistencyProof } from './merkle-tree.js';
import type { MerkleFrontier } from './merkle-tree.js';

export interface CheckpointWalk {
  /** Checks every checkpoint of exactly the frontier's size (and flags any the walk has passed). */
  checkAt(frontier: MerkleFrontier): Promise<AuditFinding | null>;
  /** A checkpoint beyond the log's end: the log was truncated (or the checkpoint is forged). */
  judgeBeyond(checkpoint: StoredCheckpoint, size: number): AuditFinding;
  checkedCount(): number;
  latest(): LatestCheckpoint | null;
}

export function createCheckpointWalk(db: Kysely<DatabaseSchema>, trust: KeyTrust, pageSize: number): CheckpointWalk {
  const nodes = createStoredNodeSource(db);
  let buffered: StoredCheckpoint[] = [];
  let afterSize = Number.MIN_SAFE_INTEGER;
  let isExhausted = false;
  let previous: Checkpoint | null = null;
  let previousKey: { key: KnownKey; size: number } | null = null;
  /** Keys that handed over to a later one: they never sign again, whatever the key table says. */
  const retiredKeys = new Set<string>();
  let latest: StoredCheckpoint | null = null;
  let checked = 0;

  async function peek(): Promise<StoredCheckpoint | undefined> {
    if (buffered.length === 0 && !isExhausted) {
      buffered = await listCheckpoints(db, { afterSize, limit: pageSize });
      isExhausted = buffered.length < pageSize;
      afterSize = buffered.at(-1)?.treeSize ?? afterSize;
    }
    return buffered[0];
  }

  function open(row: StoredCheckpoint): OpenedCheckpoint | AuditFinding {
    const opened = trust.open(row);
    if ('reason' in opened) return opened;
    const signed = opened.checkpoint;
    if (signed.size !== row.treeSize || !areHashesEqual(signed.rootHash, row.rootHash)) {
      return { reason: 'checkpoint-row-mismatch', sequence: null, checkpointSize: row.treeSize, detail: `checkpoint row ${row.treeSize} does not match its signed note (size ${signed.size})` };
    }
    return opened;
  }

  /** Keys take over in turn: once a checkpoint is signed by a newer key, the older one signs no later checkpoint. */
  function checkHandover(row: StoredCheckpoint, signedBy: KnownKey): AuditFinding | null {
    if (previousKey && previousKey.key.text !== signedBy.text) retiredKeys.add(previousKey.key.text);
    if (retiredKeys.has(signedBy.text)) {
      return {
        reason: 'checkpoint-key-retired',
        sequence: null,
        checkpointSize: row.treeSize,
        detail: `checkpoint ${row.treeSize} is signed by ${trust.describe(signedBy)}, which had already handed over to another key (checkpoint ${previousKey?.size ?? 0} and before)`,
      };
    }
    previousKey = { key: signedBy, size: row.treeSize };
    return null;
  }

  async function checkOne(row: StoredCheckpoint, frontier: MerkleFrontier): Promise<AuditFinding | null> {
    const trusted = open(row);
    if ('reason' in trusted) return trusted;
    const handover = checkHandover(row, trusted.signedBy);
    if (handover) return handover;
    const opened = trusted.checkpoint;
    const from = previous?.size ?? 0;
    if (!areHashesEqual(computeFrontierRoot(frontier), opened.rootHash)) {
      return {
        reason: 'checkpoint-root-mismatch',
        sequence: from,
        checkpointSize: row.treeSize,
        detail: `an entry in ${from}–${row.treeSize - 1} is not what checkpoint ${row.treeSize} signed (its stored hashes were rewritten to match)`,
      };
    }
    if (previous && previous.size > 0) {
      const finding = await checkConsistency(previous, opened);
      if (finding) return finding;
    }
    previous = opened;
    latest = row;
    checked += 1;
    return null;
  }

  async function checkConsistency(older: Checkpoint, newer: Checkpoint): Promise<AuditFinding | null> {
    const inconsistent = (why: string): AuditFinding => ({
      reason: 'checkpoints-inconsistent',
      sequence: older.size,
      checkpointSize: newer.size,
      detail: `checkpoints ${older.size} and ${newer.size}: ${why}`,
    });
    try {
      const proof = await createConsistencyProof(nodes, older.size, newer.size);
      const verdict = verifyConsistencyProof({ size1: older.size, size2: newer.size, root1: older.rootHash, root2: newer.rootHash, proof });
      return verdict.isValid ? null : inconsistent(`${verdict.reason}: ${verdict.detail}`);
    } catch {
      return inconsistent('the stored nodes cannot produce a consistency proof');
    }
  }

  return {
    async checkAt(frontier) {
      for (let next = await peek(); next !== undefined && next.treeSize <= frontier.size; next = await peek()) {
        buffered.shift();
        if (next.treeSize < frontier.size) {
          return { reason: 'checkpoint-invalid', sequence: null, checkpointSize: next.treeSize, detail: `checkpoint of size ${next.treeSize} is not a tree size` };
        }
        const finding = await checkOne(next, frontier);
        if (finding) return finding;
      }
      return null;
    },
    judgeBeyond(beyond, size) {
      const opened = open(beyond);
      if ('reason' in opened) return opened;
      return {
        reason: 'log-truncated',
        sequence: size,
        checkpointSize: beyond.treeSize,
        detail: `checkpoint ${beyond.treeSize} signs ${beyond.treeSize} entries, but entries from ${size} on are gone`,
      };
    },
    checkedCount: () => checked,
    latest: () => latest,
  };
}
