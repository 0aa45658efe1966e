/**
 * Complete subtrees, the unit a store keeps and a proof is made of. The node at (level, index)
 * is the root of the perfect subtree over leaves [index·2^level, (index+1)·2^level); level 0 is a
 * leaf hash. Once its last leaf is appended a node never changes, which is what lets a database
 * keep it and serve proofs without rehashing leaves.
 */
import { hashChildren } from './merkle-hash.js';

export interface MerkleNodeId {
  readonly level: number;
  readonly index: number;
}

export interface MerkleNode extends MerkleNodeId {
  readonly hash: Buffer;
}

/**
 * The complete subtrees covering leaves [start, end), left to right, each the largest that is
 * aligned at its position and fits. For the ranges RFC 9162 hashes (start aligned to a power of two
 * at least as large as the range's first split) folding them right to left gives MTH(D[start:end]).
 */
export function listCoveringNodes(start: number, end: number): MerkleNodeId[] {
  const nodes: MerkleNodeId[] = [];
  let position = start;
  while (position < end) {
    let level = 0;
    let width = 1;
    while (position % (width * 2) === 0 && position + width * 2 <= end) {
      width *= 2;
      level += 1;
    }
    nodes.push({ level, index: position / width });
    position += width;
  }
  return nodes;
}

/** MTH of adjacent complete subtrees listed left to right, larger first: hashed from the right. */
export function foldCoveringHashes(hashes: readonly Buffer[]): Buffer {
  const last = hashes.at(-1);
  if (last === undefined) throw new RangeError('cannot fold an empty list of subtree hashes');
  let folded: Buffer = Buffer.from(last); // a copy, so a caller's root never aliases a stored hash
  for (let position = hashes.length - 2; position >= 0; position -= 1) {
    folded = hashChildren(hashes[position] as Buffer, folded);
  }
  return folded;
}

export function formatNodeId({ level, index }: MerkleNodeId): string {
  return `${level}/${index}`;
}
