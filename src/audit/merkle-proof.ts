/**
 * Proof generation: RFC 9162 §2.1.3.1 PATH (inclusion) and §2.1.4.1 SUBPROOF (consistency).
 *
 * A proof is planned first, purely from the sizes, as a list of complete subtrees (MerkleNodeId);
 * then every hash the plan needs is asked of the store in one call; then the hashes are combined.
 * A database that keeps the nodes the frontier reports as completed answers with one indexed
 * read per proof: O(log n) rows, never a scan of the leaves.
 */
import { assertMerkleHash, assertTreeSize, hashEmptyTree, splitPoint } from './merkle-hash.js';
import type { MerkleNodeId } from './merkle-node.js';
import { foldCoveringHashes, formatNodeId, listCoveringNodes } from './merkle-node.js';

export type MaybePromise<T> = T | Promise<T>;

/** Where proofs read their hashes from: a database table of completed nodes, or leaves in memory. */
export interface MerkleNodeSource {
  /** The hash of each complete subtree asked for, in the same order. Level 0 is a leaf hash. */
  readNodeHashes(nodes: readonly MerkleNodeId[]): MaybePromise<readonly Uint8Array[]>;
}

/** Each entry of a proof is the hash of a run of complete subtrees (usually exactly one). */
export type ProofPlan = readonly (readonly MerkleNodeId[])[];

/** The subtrees an inclusion proof for leaf `index` in a tree of `size` leaves consists of, bottom up. */
export function planInclusionProof(index: number, size: number): ProofPlan {
  assertTreeSize(size, 'tree size');
  assertTreeSize(index, 'leaf index');
  if (index >= size) throw new RangeError(`leaf index ${index} is not below tree size ${size}`);
  const plan: MerkleNodeId[][] = [];
  collectPath(index, 0, size, plan);
  return plan;
}

/** PATH(m, D[start:end]): the path inside the half holding m, then the other half's root. */
function collectPath(index: number, start: number, end: number, plan: MerkleNodeId[][]): void {
  if (end - start === 1) return;
  const middle = start + splitPoint(end - start);
  if (index < middle) {
    collectPath(index, start, middle, plan);
    plan.push(listCoveringNodes(middle, end));
  } else {
    collectPath(index, middle, end, plan);
    plan.push(listCoveringNodes(start, middle));
  }
}

/**
 * The subtrees a consistency proof from `size1` to `size2` consists of. Requires 0 < size1 ≤ size2:
 * every tree is trivially consistent with the empty one, and verification refuses that case.
 */
export function planConsistencyProof(size1: number, size2: number): ProofPlan {
  assertTreeSize(size1, 'first tree size');
  assertTreeSize(size2, 'second tree size');
  if (size1 === 0) throw new RangeError('a consistency proof needs a non-empty first tree');
  if (size1 > size2) throw new RangeError(`first tree size ${size1} exceeds second tree size ${size2}`);
  const plan: MerkleNodeId[][] = [];
  if (size1 < size2) collectSubproof(size1, 0, size2, true, plan);
  return plan;
}

/**
 * SUBPROOF(m, D[start:end], b), with m = size1 − start. `isOldRoot` is the RFC's b: true while the
 * range is the whole first tree, whose root the verifier already has and need not be sent.
 */
function collectSubproof(size1: number, start: number, end: number, isOldRoot: boolean, plan: MerkleNodeId[][]): void {
  if (size1 === end) {
    if (!isOldRoot) plan.push(listCoveringNodes(start, end));
    return;
  }
  const middle = start + splitPoint(end - start);
  if (size1 <= middle) {
    collectSubproof(size1, start, middle, isOldRoot, plan);
    plan.push(listCoveringNodes(middle, end));
  } else {
    collectSubproof(size1, middle, end, false, plan);
    plan.push(listCoveringNodes(start, middle));
  }
}

/** Reads every hash a plan needs in one call, checks what the store returned, and combines them. */
export async function resolveProofPlan(source: MerkleNodeSource, plan: ProofPlan): Promise<Buffer[]> {
  const nodes = plan.flat();
  if (nodes.length === 0) return [];
  const hashes = await source.readNodeHashes(nodes);
  if (hashes.length !== nodes.length) {
    throw new RangeError(`node source returned ${hashes.length} hashes for ${nodes.length} nodes`);
  }
  hashes.forEach((hash, position) => assertMerkleHash(hash, `hash of node ${formatNodeId(nodes[position] as MerkleNodeId)}`));
  let position = 0;
  return plan.map((entry) => {
    const entryHashes = hashes.slice(position, position + entry.length).map((hash) => Buffer.from(hash));
    position += entry.length;
    return foldCoveringHashes(entryHashes);
  });
}

export async function createInclusionProof(source: MerkleNodeSource, index: number, size: number): Promise<Buffer[]> {
  return resolveProofPlan(source, planInclusionProof(index, size));
}

export async function createConsistencyProof(source: MerkleNodeSource, size1: number, size2: number): Promise<Buffer[]> {
  return resolveProofPlan(source, planConsistencyProof(size1, size2));
}

/** MTH of the first `size` leaves, from the same complete subtrees the frontier would hold. */
export async function computeRootFromSource(source: MerkleNodeSource, size: number): Promise<Buffer> {
  assertTreeSize(size, 'tree size');
  if (size === 0) return hashEmptyTree();
  const [root] = await resolveProofPlan(source, [listCoveringNodes(0, size)]);
  return root as Buffer;
}
