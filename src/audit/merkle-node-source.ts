/**
 * Node sources for stores that keep only leaf hashes. They rehash each requested subtree from its
 * leaves, so a proof costs O(n) hashing in the worst case; a store that keeps the completed nodes
 * the frontier reports answers `readNodeHashes` directly instead.
 */
import { computeRootFromLeafHashes } from './merkle-hash.js';
import type { MerkleNodeId } from './merkle-node.js';
import { formatNodeId } from './merkle-node.js';
import type { MaybePromise, MerkleNodeSource } from './merkle-proof.js';

/** Reads the leaf hashes of entries [start, end), in order (one range query). */
export type ReadLeafHashes = (start: number, end: number) => MaybePromise<readonly Uint8Array[]>;

export function createLeafRangeNodeSource(readLeafHashes: ReadLeafHashes): MerkleNodeSource {
  return {
    async readNodeHashes(nodes) {
      const hashes: Buffer[] = [];
      for (const node of nodes) {
        const { start, end } = leafRangeOf(node);
        const leafHashes = await readLeafHashes(start, end);
        if (leafHashes.length !== end - start) {
          throw new RangeError(`leaf reader returned ${leafHashes.length} hashes for node ${formatNodeId(node)}`);
        }
        hashes.push(computeRootFromLeafHashes(leafHashes));
      }
      return hashes;
    },
  };
}

/** Leaf hashes held in memory (tests, small exports); reads beyond the array throw. */
export function createMemoryNodeSource(leafHashes: readonly Uint8Array[]): MerkleNodeSource {
  return createLeafRangeNodeSource((start, end) => {
    if (end > leafHashes.length) throw new RangeError(`leaf ${end - 1} is beyond the ${leafHashes.length} leaves held`);
    return leafHashes.slice(start, end);
  });
}

function leafRangeOf({ level, index }: MerkleNodeId): { start: number; end: number } {
  const width = 2 ** level;
  return { start: index * width, end: (index + 1) * width };
}
