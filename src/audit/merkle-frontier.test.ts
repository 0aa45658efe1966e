import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { MerkleFrontier, MerkleNode, MerkleNodeId, MerkleNodeSource } from './merkle-tree.js';
import {
  appendLeafHash,
  computeFrontierRoot,
  computeRootFromLeafHashes,
  computeRootFromSource,
  createConsistencyProof,
  createEmptyFrontier,
  createInclusionProof,
  hashEmptyTree,
  hashLeaf,
  listFrontierNodes,
  restoreFrontier,
  verifyConsistencyProof,
  verifyInclusionProof,
} from './merkle-tree.js';

const SIZES = 520;
const leafHashes = Array.from({ length: SIZES }, (_, index) => hashLeaf(Buffer.from(`entry-${index}`)));

/** Appends every leaf, keeping each frontier and every completed node, as a database-backed log would. */
function buildLog(): { frontiers: MerkleFrontier[]; nodes: Map<string, MerkleNode> } {
  const frontiers = [createEmptyFrontier()];
  const nodes = new Map<string, MerkleNode>();
  for (const leafHash of leafHashes) {
    const { frontier, completedNodes } = appendLeafHash(frontiers.at(-1) as MerkleFrontier, leafHash);
    frontiers.push(frontier);
    for (const node of completedNodes) nodes.set(`${node.level}/${node.index}`, node);
  }
  return { frontiers, nodes };
}

const log = buildLog();

/** A stand-in for a table of completed nodes keyed by (level, index): no leaf is rehashed. */
const nodeTableSource: MerkleNodeSource = {
  readNodeHashes: (ids: readonly MerkleNodeId[]) =>
    ids.map(({ level, index }) => {
      const node = log.nodes.get(`${level}/${index}`);
      if (node === undefined) throw new Error(`node ${level}/${index} was never completed`);
      return node.hash;
    }),
};

describe('frontier', () => {
  it(`has the root of the full recomputation after every append up to ${SIZES} leaves`, () => {
    expect(log.frontiers).toHaveLength(SIZES + 1);
    for (const [size, frontier] of log.frontiers.entries()) {
      expect(frontier.size).toBe(size);
      expect(computeFrontierRoot(frontier).equals(computeRootFromLeafHashes(leafHashes.slice(0, size))), `size ${size}`).toBe(true);
    }
  });

  it('holds one hash per set bit of the size', () => {
    for (const frontier of log.frontiers) {
      expect(frontier.hashes).toHaveLength(frontier.size.toString(2).replaceAll('0', '').length);
    }
  });

  it('reports completed nodes whose hashes are the roots of exactly the leaves under them', () => {
    expect(log.nodes.size).toBe(2 * SIZES - SIZES.toString(2).replaceAll('0', '').length);
    for (const node of log.nodes.values()) {
      const width = 2 ** node.level;
      const covered = leafHashes.slice(node.index * width, (node.index + 1) * width);
      expect(covered).toHaveLength(width);
      expect(node.hash.equals(computeRootFromLeafHashes(covered)), `node ${node.level}/${node.index}`).toBe(true);
    }
  });

  it('serves roots and proofs from completed nodes alone', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: SIZES }).chain((size) => fc.tuple(fc.constant(size), fc.integer({ min: 0, max: size - 1 }), fc.integer({ min: 1, max: size }))),
        async ([size, index, earlierSize]) => {
          const root = computeFrontierRoot(log.frontiers[size] as MerkleFrontier);
          expect((await computeRootFromSource(nodeTableSource, size)).equals(root)).toBe(true);
          const inclusion = await createInclusionProof(nodeTableSource, index, size);
          expect(verifyInclusionProof({ leafHash: leafHashes[index] as Buffer, leafIndex: index, treeSize: size, rootHash: root, proof: inclusion }).isValid).toBe(true);
          const earlierRoot = computeFrontierRoot(log.frontiers[earlierSize] as MerkleFrontier);
          const consistency = await createConsistencyProof(nodeTableSource, earlierSize, size);
          expect(verifyConsistencyProof({ size1: earlierSize, size2: size, root1: earlierRoot, root2: root, proof: consistency }).isValid).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('continues identically after being stored as hashes and restored', () => {
    for (const size of [0, 1, 2, 3, 7, 8, 255, 256, 257, 300]) {
      const stored = log.frontiers[size] as MerkleFrontier;
      const restored = restoreFrontier(stored.size, stored.hashes.map((hash) => hash.toString('base64')).map((text) => Buffer.from(text, 'base64')));
      const next = appendLeafHash(restored, leafHashes[size] as Buffer).frontier;
      expect(computeFrontierRoot(next).equals(computeFrontierRoot(log.frontiers[size + 1] as MerkleFrontier)), `size ${size}`).toBe(true);
    }
  });

  it('lists its hashes with their positions in the tree', () => {
    const frontier = log.frontiers[13] as MerkleFrontier; // 8 + 4 + 1
    expect(listFrontierNodes(frontier).map(({ level, index }) => `${level}/${index}`)).toEqual(['3/0', '2/2', '0/12']);
  });

  it('is the empty-tree hash before any append, and appending leaves the old frontier untouched', () => {
    const empty = createEmptyFrontier();
    expect(computeFrontierRoot(empty)).toEqual(hashEmptyTree());
    const before = log.frontiers[3] as MerkleFrontier;
    const snapshot = before.hashes.map((hash) => Buffer.from(hash));
    appendLeafHash(before, leafHashes[3] as Buffer);
    expect(before.size).toBe(3);
    expect(before.hashes).toEqual(snapshot);
    computeFrontierRoot(log.frontiers[1] as MerkleFrontier).fill(0); // a caller scribbling on a root
    expect((log.frontiers[1] as MerkleFrontier).hashes[0]).toEqual(leafHashes[0]);
  });

  it('refuses stored hashes that do not fit the size', () => {
    const stored = log.frontiers[6] as MerkleFrontier; // two hashes
    expect(() => restoreFrontier(6, stored.hashes.slice(0, 1))).toThrow(RangeError);
    expect(() => restoreFrontier(7, stored.hashes)).toThrow(RangeError);
    expect(() => restoreFrontier(6, [stored.hashes[0] as Buffer, Buffer.alloc(16)])).toThrow(RangeError);
    expect(() => restoreFrontier(-1, [])).toThrow(RangeError);
    expect(() => restoreFrontier(2 ** 53, [])).toThrow(RangeError);
    expect(() => appendLeafHash(stored, Buffer.alloc(31))).toThrow(RangeError);
  });
});
