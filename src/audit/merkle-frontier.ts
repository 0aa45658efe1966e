/**
 * The frontier (compact range [0, size)) of an append-only tree: the roots of its complete
 * subtrees, largest first, one per set bit of `size`. It is all a log needs to append a leaf and
 * compute the new root in O(log n) without holding the leaves.
 *
 * Frontiers are immutable values: appending returns a new one, so a caller can write it in the
 * same transaction as the entry and simply keep the old value if that transaction fails.
 */
import { assertMerkleHash, assertTreeSize, hashChildren, hashEmptyTree } from './merkle-hash.js';
import type { MerkleNode } from './merkle-node.js';
import { foldCoveringHashes, listCoveringNodes } from './merkle-node.js';

export interface MerkleFrontier {
  readonly size: number;
  readonly hashes: readonly Buffer[];
}

export interface FrontierAppend {
  readonly frontier: MerkleFrontier;
  /** Every subtree the new leaf completed, the leaf itself first: what a store keeps to serve proofs. */
  readonly completedNodes: readonly MerkleNode[];
}

export function createEmptyFrontier(): MerkleFrontier {
  return { size: 0, hashes: [] };
}

/** Rebuilds a frontier from stored hashes; throws RangeError unless they fit the size exactly. */
export function restoreFrontier(size: number, hashes: readonly Uint8Array[]): MerkleFrontier {
  assertTreeSize(size, 'frontier size');
  const expected = listCoveringNodes(0, size).length;
  if (hashes.length !== expected) {
    throw new RangeError(`a frontier of size ${size} holds ${expected} hashes, not ${hashes.length}`);
  }
  hashes.forEach((hash, position) => assertMerkleHash(hash, `frontier hash ${position}`));
  return { size, hashes: hashes.map((hash) => Buffer.from(hash)) };
}

export function appendLeafHash(frontier: MerkleFrontier, leafHash: Uint8Array): FrontierAppend {
  assertMerkleHash(leafHash, 'leaf hash');
  const leafIndex = frontier.size;
  if (leafIndex >= Number.MAX_SAFE_INTEGER) throw new RangeError('the tree is full');
  const hashes = [...frontier.hashes];
  let node: MerkleNode = { level: 0, index: leafIndex, hash: Buffer.from(leafHash) };
  const completedNodes: MerkleNode[] = [node];
  // Each trailing 1 bit of the old size is a complete subtree of the new node's height: merge them.
  for (let carry = leafIndex; carry % 2 === 1; carry = (carry - 1) / 2) {
    const left = hashes.pop() as Buffer;
    node = { level: node.level + 1, index: (node.index - 1) / 2, hash: hashChildren(left, node.hash) };
    completedNodes.push(node);
  }
  hashes.push(node.hash);
  return { frontier: { size: leafIndex + 1, hashes }, completedNodes };
}

/** MTH of the leaves appended so far. */
export function computeFrontierRoot(frontier: MerkleFrontier): Buffer {
  return frontier.size === 0 ? hashEmptyTree() : foldCoveringHashes(frontier.hashes);
}

/** The frontier's hashes with their positions in the tree. */
export function listFrontierNodes(frontier: MerkleFrontier): MerkleNode[] {
  return listCoveringNodes(0, frontier.size).map((id, position) => ({ ...id, hash: Buffer.from(frontier.hashes[position] as Buffer) }));
}
