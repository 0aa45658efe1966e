/**
 * RFC 9162 §2.1.1 Merkle tree hashing over SHA-256. Leaves and interior nodes are hashed with
 * different one-byte prefixes, so no leaf can be presented as an interior node (the
 * second-preimage attack on unprefixed trees).
 */
import { createHash } from 'node:crypto';

export const MERKLE_HASH_LENGTH = 32;

const LEAF_PREFIX = Uint8Array.of(0x00);
const NODE_PREFIX = Uint8Array.of(0x01);

/** SHA-256(0x00 ‖ entry): the hash a log stores for one entry. */
export function hashLeaf(entry: Uint8Array): Buffer {
  return createHash('sha256').update(LEAF_PREFIX).update(entry).digest();
}

/** SHA-256(0x01 ‖ left ‖ right); throws RangeError unless both are 32-byte hashes. */
export function hashChildren(left: Uint8Array, right: Uint8Array): Buffer {
  assertMerkleHash(left, 'left child');
  assertMerkleHash(right, 'right child');
  return createHash('sha256').update(NODE_PREFIX).update(left).update(right).digest();
}

/** MTH({}) = SHA-256 of the empty string; a fresh copy each call, since Buffers are mutable. */
export function hashEmptyTree(): Buffer {
  return createHash('sha256').digest();
}

export function isMerkleHash(value: unknown): value is Uint8Array {
  return value instanceof Uint8Array && value.length === MERKLE_HASH_LENGTH;
}

export function assertMerkleHash(value: unknown, what: string): asserts value is Uint8Array {
  if (!isMerkleHash(value)) throw new RangeError(`${what} must be a ${MERKLE_HASH_LENGTH}-byte hash`);
}

/** Tree sizes and leaf indexes are safe integers: beyond 2^53 − 1 a JS number silently loses bits. */
export function isTreeSize(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

export function assertTreeSize(value: unknown, what: string): asserts value is number {
  if (!isTreeSize(value)) throw new RangeError(`${what} must be a non-negative safe integer`);
}

/** The k of RFC 9162 §2.1.1: the largest power of two strictly below n (n ≥ 2), so k < n ≤ 2k. */
export function splitPoint(count: number): number {
  let split = 1;
  while (split * 2 < count) split *= 2;
  return split;
}

/**
 * MTH(D[n]) straight from the RFC's recursive definition, over leaf hashes held in memory. It is
 * the reference the incremental frontier and the proof generator are tested against.
 */
export function computeRootFromLeafHashes(leafHashes: readonly Uint8Array[]): Buffer {
  leafHashes.forEach((leafHash, index) => assertMerkleHash(leafHash, `leaf hash ${index}`));
  if (leafHashes.length === 0) return hashEmptyTree();
  return hashLeafRange(leafHashes, 0, leafHashes.length);
}

function hashLeafRange(leafHashes: readonly Uint8Array[], start: number, end: number): Buffer {
  if (end - start === 1) return Buffer.from(leafHashes[start] as Uint8Array);
  const middle = start + splitPoint(end - start);
  return hashChildren(hashLeafRange(leafHashes, start, middle), hashLeafRange(leafHashes, middle, end));
}

/** Equality of public hashes (roots, proof nodes); these are not secrets, so no constant-time compare. */
export function areHashesEqual(left: Uint8Array, right: Uint8Array): boolean {
  return Buffer.compare(left, right) === 0;
}
