/**
 * Signed checkpoints (c2sp.org/tlog-checkpoint): the log's origin, tree size and root hash in a
 * signed note, so a checkpoint can be handed to an outside witness or kept by an auditor.
 *
 *   <origin>\n<decimal tree size>\n<base64 root hash>\n\n— <key name> <base64 signature>\n
 *
 * Verification opens the note (signature first), then parses the text exactly as we write it:
 * three lines, no extension lines, canonical numbers and base64. Anything else is refused.
 */
import { assertMerkleHash, assertTreeSize, areHashesEqual, hashEmptyTree, MERKLE_HASH_LENGTH } from './merkle-hash.js';
import type { NoteRejectionReason, NoteSigner, NoteVerifierKey } from './signed-note.js';
import { decodeCanonicalBase64, isValidKeyName, openSignedNote, signNote } from './signed-note.js';

export interface Checkpoint {
  readonly origin: string;
  readonly size: number;
  readonly rootHash: Buffer;
}

export type CheckpointRejectionReason =
  | NoteRejectionReason
  /** The text is not exactly three lines (extension lines are refused: we never write them). */
  | 'checkpoint-malformed'
  | 'origin-mismatch'
  /** Not canonical decimal, or beyond 2^53 − 1. */
  | 'tree-size-malformed'
  /** Not canonical base64 of 32 bytes, or not the empty-tree hash at size 0. */
  | 'root-hash-malformed';

export type CheckpointVerdict =
  | { readonly isValid: true; readonly checkpoint: Checkpoint }
  | { readonly isValid: false; readonly reason: CheckpointRejectionReason; readonly detail: string };

export interface CheckpointExpectations {
  /** The origin of the log this checkpoint must be for. */
  readonly origin: string;
  /** The log's key (from `parseNoteVerifierKey`); other keys' signatures are ignored. */
  readonly verifierKey: NoteVerifierKey;
}

/** Origins follow the key-name rules (the spec recommends a schema-less URL), so they can double as one. */
export function isValidOrigin(origin: string): boolean {
  return isValidKeyName(origin);
}

/** The checkpoint's note text, exactly as signed. */
export function formatCheckpointText(checkpoint: Checkpoint): string {
  const { origin, size, rootHash } = checkpoint;
  if (!isValidOrigin(origin)) throw new RangeError('origin must be non-empty, without spaces, plus signs or control characters');
  assertTreeSize(size, 'tree size');
  assertMerkleHash(rootHash, 'root hash');
  if (size === 0 && !areHashesEqual(rootHash, hashEmptyTree())) throw new RangeError('the empty tree has the empty-string hash as its root');
  return `${origin}\n${size}\n${Buffer.from(rootHash).toString('base64')}\n`;
}

/** The signed note for a checkpoint, signed by the log's key and any further signers given. */
export function signCheckpoint(checkpoint: Checkpoint, signers: readonly NoteSigner[]): string {
  return signNote(formatCheckpointText(checkpoint), signers);
}

export function verifyCheckpoint(note: string | Uint8Array, expected: CheckpointExpectations): CheckpointVerdict {
  const opened = openSignedNote(note, expected.verifierKey);
  if (!opened.isValid) return opened;
  const lines = opened.text.split('\n');
  // A three-line text splits into four parts, the last empty because the text ends with a newline.
  if (lines.length !== 4) return reject('checkpoint-malformed', 'a checkpoint is exactly origin, size and root hash');
  const [origin, sizeText, rootText] = lines as [string, string, string, string];
  if (origin !== expected.origin) return reject('origin-mismatch', 'checkpoint is for another log');
  if (!/^(0|[1-9][0-9]*)$/.test(sizeText) || !Number.isSafeInteger(Number(sizeText))) {
    return reject('tree-size-malformed', 'tree size must be canonical decimal below 2^53');
  }
  const size = Number(sizeText);
  const rootHash = decodeCanonicalBase64(rootText);
  if (rootHash?.length !== MERKLE_HASH_LENGTH) return reject('root-hash-malformed', `root hash must be canonical base64 of ${MERKLE_HASH_LENGTH} bytes`);
  // The empty tree has one possible root; a signed size-0 checkpoint with any other is self-contradictory.
  if (size === 0 && !areHashesEqual(rootHash, hashEmptyTree())) return reject('root-hash-malformed', 'size 0 with a root other than the empty-tree hash');
  return { isValid: true, checkpoint: { origin, size, rootHash } };
}

function reject(reason: CheckpointRejectionReason, detail: string): CheckpointVerdict {
  return { isValid: false, reason, detail };
}
