/** The vocabulary of `verifyAuditLog`'s verdicts: each reason is one kind of damage it can name. */
import type { StoredCheckpoint } from './audit-repository.js';

export type AuditRejectionReason =
  /** A sequence number is skipped: the entry was deleted (or later ones renumbered). */
  | 'entry-missing'
  /** Stored values that cannot be encoded at all (not an integer, not well-formed text). */
  | 'entry-malformed'
  /** The entry's fields do not hash to its stored leaf hash: edited, moved to another position, or replaced. */
  | 'leaf-hash-mismatch'
  /** A complete subtree the entries imply is not stored (proofs for it cannot be served). */
  | 'node-missing'
  /** A stored subtree differs from the hash of its entries: the entry or the node table was changed. */
  | 'node-mismatch'
  /** No usable verifier key: none given, none (or only malformed ones) stored. */
  | 'no-verifier-key'
  /** A checkpoint is signed by no trusted key: a made-up key, or one the verifier did not pin (an older version). */
  | 'checkpoint-key-untrusted'
  /** A checkpoint is signed by a key that was already retired at that point of the log. */
  | 'checkpoint-key-retired'
  /** A checkpoint's signature, origin or format fails (a forged or altered checkpoint). */
  | 'checkpoint-invalid'
  /** The checkpoint row's size, root or signing key version disagrees with its signed note. */
  | 'checkpoint-row-mismatch'
  /** The entries' root at a checkpoint's size is not the signed root: history before it was rewritten. */
  | 'checkpoint-root-mismatch'
  /** Two consecutive checkpoints cannot be proven consistent from the stored nodes. */
  | 'checkpoints-inconsistent'
  /** A valid checkpoint signs more entries than the log holds: it was truncated. */
  | 'log-truncated'
  /** The head row (size, frontier) disagrees with the entries. */
  | 'head-mismatch'
  /** Stored entries outside 0…n−1 (a negative or duplicated sequence number). */
  | 'entry-outside-sequence'
  /** More or fewer stored nodes than a tree of this size has. */
  | 'unexpected-nodes'
  /** The verifier key the database publishes is not one the verifier pinned (or not its own current key). */
  | 'verifier-key-replaced';

export interface AuditFinding {
  readonly reason: AuditRejectionReason;
  readonly sequence: number | null;
  readonly checkpointSize?: number | null;
  readonly detail: string;
}

export type LatestCheckpoint = StoredCheckpoint;

export interface TrustedKeys {
  /** Every key a checkpoint may be signed by, oldest first when read from the database. */
  readonly verifierKeys: readonly string[];
  /** `given`: pinned by the caller. `database`: read from `audit_signing_keys`, which a database writer could replace. */
  readonly source: 'given' | 'database';
}
