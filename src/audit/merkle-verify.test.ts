import { describe, expect, it } from 'vitest';
import {
  computeRootFromLeafHashes,
  createConsistencyProof,
  createInclusionProof,
  createLeafRangeNodeSource,
  createMemoryNodeSource,
  hashEmptyTree,
  hashLeaf,
  verifyConsistencyProof,
  verifyInclusionProof,
} from './merkle-tree.js';

const leafHashes = Array.from({ length: 7 }, (_, index) => hashLeaf(Buffer.from([index])));
const source = createMemoryNodeSource(leafHashes);
const rootOf = (size: number): Buffer => computeRootFromLeafHashes(leafHashes.slice(0, size));

async function inclusionClaim(index: number, size: number) {
  return { leafHash: leafHashes[index] as Buffer, leafIndex: index, treeSize: size, rootHash: rootOf(size), proof: await createInclusionProof(source, index, size) };
}

async function consistencyClaim(size1: number, size2: number) {
  return { size1, size2, root1: rootOf(size1), root2: rootOf(size2), proof: await createConsistencyProof(source, size1, size2) };
}

describe('hashing', () => {
  it('hashes the empty tree, a leaf and a node with RFC 9162 domain separation', () => {
    expect(hashEmptyTree().toString('hex')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    // RFC 6962 test data: the leaf hash of the empty entry.
    expect(hashLeaf(Buffer.alloc(0)).toString('hex')).toBe('6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d');
    expect(computeRootFromLeafHashes([])).toEqual(hashEmptyTree());
    expect(computeRootFromLeafHashes(leafHashes.slice(0, 1))).toEqual(leafHashes[0]);
  });
});

describe('inclusion verification refuses malformed claims before hashing', () => {
  it.each([
    ['a negative index', { leafIndex: -1 }, 'invalid-leaf-index'],
    ['a fractional index', { leafIndex: 1.5 }, 'invalid-leaf-index'],
    ['an index beyond 2^53', { leafIndex: 2 ** 64 }, 'invalid-leaf-index'],
    ['a NaN size', { treeSize: Number.NaN }, 'invalid-tree-size'],
    ['an index equal to the size', { leafIndex: 5 }, 'leaf-index-out-of-range'],
    ['an empty tree', { leafIndex: 0, treeSize: 0 }, 'leaf-index-out-of-range'],
    ['a 31-byte leaf hash', { leafHash: Buffer.alloc(31) }, 'invalid-hash-length'],
    ['a 33-byte root', { rootHash: Buffer.alloc(33) }, 'invalid-hash-length'],
  ] as const)('rejects %s', async (_, change, reason) => {
    const claim = await inclusionClaim(2, 5);
    expect(verifyInclusionProof({ ...claim, ...change })).toMatchObject({ isValid: false, reason });
  });

  it('rejects a proof hash of the wrong length even at the right position', async () => {
    const claim = await inclusionClaim(2, 5);
    const proof = [...claim.proof];
    proof[1] = Buffer.concat([proof[1] as Buffer, Buffer.alloc(1)]);
    expect(verifyInclusionProof({ ...claim, proof })).toMatchObject({ isValid: false, reason: 'invalid-hash-length', detail: 'proof hash 1 is not 32 bytes' });
  });

  it('accepts the single-leaf tree with an empty proof and nothing else', async () => {
    const claim = await inclusionClaim(0, 1);
    expect(claim.proof).toEqual([]);
    expect(verifyInclusionProof(claim).isValid).toBe(true);
    expect(verifyInclusionProof({ ...claim, proof: [claim.rootHash] })).toMatchObject({ reason: 'wrong-proof-length' });
  });
});

describe('consistency verification refuses malformed claims before hashing', () => {
  it.each([
    ['a first size above the second', { size1: 6, size2: 5 }, 'tree-sizes-out-of-order'],
    ['an empty first tree', { size1: 0 }, 'empty-first-tree'],
    ['two empty trees', { size1: 0, size2: 0, proof: [] }, 'empty-first-tree'],
    ['a negative size', { size1: -3 }, 'invalid-tree-size'],
    ['an unsafe size', { size2: 2 ** 53 }, 'invalid-tree-size'],
    ['a 12-byte first root', { root1: Buffer.from("don't care 1") }, 'invalid-hash-length'],
    ['an empty second root', { root2: Buffer.alloc(0) }, 'invalid-hash-length'],
    ['an empty proof between different sizes', { proof: [] }, 'wrong-proof-length'],
  ] as const)('rejects %s', async (_, change, reason) => {
    const claim = await consistencyClaim(3, 5);
    expect(verifyConsistencyProof({ ...claim, ...change })).toMatchObject({ isValid: false, reason });
  });

  it('accepts equal sizes only with equal roots and an empty proof', () => {
    const claim = { size1: 4, size2: 4, root1: rootOf(4), root2: rootOf(4), proof: [] };
    expect(verifyConsistencyProof(claim).isValid).toBe(true);
    expect(verifyConsistencyProof({ ...claim, root2: rootOf(5) })).toMatchObject({ reason: 'root-mismatch' });
    expect(verifyConsistencyProof({ ...claim, proof: [rootOf(4)] })).toMatchObject({ reason: 'wrong-proof-length' });
  });
});

describe('proof generation', () => {
  it('refuses sizes no proof exists for', async () => {
    await expect(createInclusionProof(source, 5, 5)).rejects.toThrow(RangeError);
    await expect(createInclusionProof(source, 0, 0)).rejects.toThrow(RangeError);
    await expect(createConsistencyProof(source, 0, 3)).rejects.toThrow(RangeError);
    await expect(createConsistencyProof(source, 4, 3)).rejects.toThrow(RangeError);
    await expect(createInclusionProof(source, 0, 2 ** 53)).rejects.toThrow(RangeError);
  });

  it('refuses a node source that answers with the wrong number or size of hashes', async () => {
    const tooFew = { readNodeHashes: () => [] };
    const tooShort = { readNodeHashes: (nodes: readonly unknown[]) => nodes.map(() => Buffer.alloc(31)) };
    await expect(createInclusionProof(tooFew, 1, 4)).rejects.toThrow(/returned 0 hashes/);
    await expect(createInclusionProof(tooShort, 1, 4)).rejects.toThrow(/32-byte hash/);
    const missingLeaves = createLeafRangeNodeSource(() => leafHashes.slice(0, 1));
    await expect(createInclusionProof(missingLeaves, 1, 4)).rejects.toThrow(/leaf reader returned/);
  });

  it('asks an asynchronous source for all the nodes of a proof in one call', async () => {
    const calls: number[] = [];
    const counting = {
      async readNodeHashes(nodes: readonly { level: number; index: number }[]) {
        calls.push(nodes.length);
        return source.readNodeHashes(nodes);
      },
    };
    const proof = await createInclusionProof(counting, 2, 7);
    // Leaf 3, node 1/0 (leaves 0–1), and MTH(leaves 4–6) folded from nodes 1/2 and 0/6.
    expect(calls).toEqual([4]);
    expect(proof).toHaveLength(3);
    expect(verifyInclusionProof({ leafHash: leafHashes[2] as Buffer, leafIndex: 2, treeSize: 7, rootHash: rootOf(7), proof }).isValid).toBe(true);
  });
});
