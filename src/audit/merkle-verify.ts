/**
 * Proof verification: RFC 9162 §2.1.3.2 (inclusion) and §2.1.4.2 (consistency), step by step.
 *
 * Verifiers never throw for bad input: every argument may come from an attacker, so each problem
 * is a verdict with a reason. Sizes, indexes and hash lengths are checked before any hashing, and
 * the proof length is checked against the length the sizes imply (computed independently of the
 * generator) so a wrong length is reported as such rather than as a root mismatch.
 */
import { areHashesEqual, hashChildren, isMerkleHash, isTreeSize, MERKLE_HASH_LENGTH } from './merkle-hash.js';

export type MerkleRejectionReason =
  /** A tree size is not a non-negative safe integer. */
  | 'invalid-tree-size'
  /** The leaf index is not a non-negative safe integer. */
  | 'invalid-leaf-index'
  /** index ≥ size: no such leaf (includes every index in the empty tree). */
  | 'leaf-index-out-of-range'
  /** The first tree is larger than the second. */
  | 'tree-sizes-out-of-order'
  /** The first tree is empty: consistency with it proves nothing, and RFC 9162 requires 0 < first. */
  | 'empty-first-tree'
  /** A leaf hash, root or proof element is not 32 bytes. */
  | 'invalid-hash-length'
  /** The proof has more or fewer elements than the sizes call for. */
  | 'wrong-proof-length'
  /** The recomputed root differs from the one given. */
  | 'root-mismatch';

export type MerkleVerdict =
  | { readonly isValid: true }
  | { readonly isValid: false; readonly reason: MerkleRejectionReason; readonly detail: string };

export interface InclusionClaim {
  readonly leafHash: Uint8Array;
  readonly leafIndex: number;
  readonly treeSize: number;
  readonly rootHash: Uint8Array;
  readonly proof: readonly Uint8Array[];
}

export interface ConsistencyClaim {
  readonly size1: number;
  readonly size2: number;
  readonly root1: Uint8Array;
  readonly root2: Uint8Array;
  readonly proof: readonly Uint8Array[];
}

const accepted: MerkleVerdict = { isValid: true };

function reject(reason: MerkleRejectionReason, detail: string): MerkleVerdict {
  return { isValid: false, reason, detail };
}

/** Proves the leaf hash sits at leafIndex in the tree of treeSize leaves whose root is rootHash. */
export function verifyInclusionProof(claim: InclusionClaim): MerkleVerdict {
  const { leafHash, leafIndex, treeSize, rootHash, proof } = claim;
  if (!isTreeSize(treeSize)) return reject('invalid-tree-size', 'tree size must be a non-negative safe integer');
  if (!isTreeSize(leafIndex)) return reject('invalid-leaf-index', 'leaf index must be a non-negative safe integer');
  if (leafIndex >= treeSize) return reject('leaf-index-out-of-range', `leaf index ${leafIndex} is not below tree size ${treeSize}`);
  const badHash = findBadHash({ 'leaf hash': leafHash, 'root hash': rootHash }, proof);
  if (badHash !== undefined) return reject('invalid-hash-length', `${badHash} is not ${MERKLE_HASH_LENGTH} bytes`);
  const expectedLength = countInclusionProofNodes(BigInt(leafIndex), BigInt(treeSize));
  if (proof.length !== expectedLength) {
    return reject('wrong-proof-length', `expected ${expectedLength} proof hashes, got ${proof.length}`);
  }
  // §2.1.3.2 steps 2–5; fn and sn are bigints because JS bit operators truncate to 32 bits.
  let fn = BigInt(leafIndex);
  let sn = BigInt(treeSize - 1);
  let root: Uint8Array = leafHash;
  for (const node of proof) {
    if (sn === 0n) return reject('wrong-proof-length', 'proof continues past the root');
    if (isOdd(fn) || fn === sn) {
      root = hashChildren(node, root);
      while (!isOdd(fn) && fn !== 0n) [fn, sn] = [fn >> 1n, sn >> 1n];
    } else {
      root = hashChildren(root, node);
    }
    [fn, sn] = [fn >> 1n, sn >> 1n];
  }
  if (sn !== 0n) return reject('wrong-proof-length', 'proof ends below the root');
  return areHashesEqual(root, rootHash) ? accepted : reject('root-mismatch', 'recomputed root differs from the root given');
}

/** Proves the tree of size1 leaves with root1 is a prefix of the tree of size2 leaves with root2. */
export function verifyConsistencyProof(claim: ConsistencyClaim): MerkleVerdict {
  const { size1, size2, root1, root2, proof } = claim;
  if (!isTreeSize(size1) || !isTreeSize(size2)) return reject('invalid-tree-size', 'tree sizes must be non-negative safe integers');
  if (size1 > size2) return reject('tree-sizes-out-of-order', `first tree size ${size1} exceeds second tree size ${size2}`);
  if (size1 === 0) return reject('empty-first-tree', 'consistency with the empty tree proves nothing');
  const badHash = findBadHash({ 'first root': root1, 'second root': root2 }, proof);
  if (badHash !== undefined) return reject('invalid-hash-length', `${badHash} is not ${MERKLE_HASH_LENGTH} bytes`);
  if (size1 === size2) {
    if (proof.length !== 0) return reject('wrong-proof-length', 'equal tree sizes take an empty proof');
    return areHashesEqual(root1, root2) ? accepted : reject('root-mismatch', 'equal tree sizes with different roots');
  }
  const expectedLength = countConsistencyProofNodes(BigInt(size1), BigInt(size2));
  if (proof.length !== expectedLength) {
    return reject('wrong-proof-length', `expected ${expectedLength} proof hashes, got ${proof.length}`);
  }
  return walkConsistencyPath(claim);
}

/** §2.1.4.2 steps 2–7, for 0 < size1 < size2 and a proof of the expected length. */
function walkConsistencyPath({ size1, size2, root1, root2, proof }: ConsistencyClaim): MerkleVerdict {
  const path = isPowerOfTwo(BigInt(size1)) ? [root1, ...proof] : [...proof];
  let fn = BigInt(size1 - 1);
  let sn = BigInt(size2 - 1);
  while (isOdd(fn)) [fn, sn] = [fn >> 1n, sn >> 1n];
  let firstRoot = path[0] as Uint8Array;
  let secondRoot = firstRoot;
  for (const node of path.slice(1)) {
    if (sn === 0n) return reject('wrong-proof-length', 'proof continues past the root');
    if (isOdd(fn) || fn === sn) {
      firstRoot = hashChildren(node, firstRoot);
      secondRoot = hashChildren(node, secondRoot);
      while (!isOdd(fn) && fn !== 0n) [fn, sn] = [fn >> 1n, sn >> 1n];
    } else {
      secondRoot = hashChildren(secondRoot, node);
    }
    [fn, sn] = [fn >> 1n, sn >> 1n];
  }
  if (sn !== 0n) return reject('wrong-proof-length', 'proof ends below the root');
  if (!areHashesEqual(firstRoot, root1)) return reject('root-mismatch', 'proof does not lead to the first root');
  if (!areHashesEqual(secondRoot, root2)) return reject('root-mismatch', 'proof does not lead to the second root');
  return accepted;
}

function findBadHash(named: Record<string, Uint8Array>, proof: readonly Uint8Array[]): string | undefined {
  const badName = Object.entries(named).find(([, hash]) => !isMerkleHash(hash))?.[0];
  if (badName !== undefined) return badName;
  const badIndex = proof.findIndex((hash) => !isMerkleHash(hash));
  return badIndex === -1 ? undefined : `proof hash ${badIndex}`;
}

/**
 * Length of PATH(index, D[size]): one node per level below the point where the leaf's path and
 * the tree's right edge meet ("inner"), plus one per left sibling above it ("border").
 */
function countInclusionProofNodes(index: bigint, size: bigint): number {
  const inner = bitLength(index ^ (size - 1n));
  return inner + popCount(index >> BigInt(inner));
}

/** Length of PROOF(size1, D[size2]) for 0 < size1 < size2. */
function countConsistencyProofNodes(size1: bigint, size2: bigint): number {
  const index = size1 - 1n;
  const inner = bitLength(index ^ (size2 - 1n)) - trailingZeros(size1);
  const border = popCount(index >> BigInt(bitLength(index ^ (size2 - 1n))));
  // When size1 is a power of two its root is a node of the new tree, which the verifier already has.
  return inner + border + (isPowerOfTwo(size1) ? 0 : 1);
}

function isOdd(value: bigint): boolean {
  return (value & 1n) === 1n;
}

function isPowerOfTwo(value: bigint): boolean {
  return value > 0n && (value & (value - 1n)) === 0n;
}

function bitLength(value: bigint): number {
  return value === 0n ? 0 : value.toString(2).length;
}

function popCount(value: bigint): number {
  return value.toString(2).replaceAll('0', '').length;
}

function trailingZeros(value: bigint): number {
  let count = 0;
  for (let rest = value; rest > 0n && !isOdd(rest); rest >>= 1n) count += 1;
  return count;
}
