import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  computeRootFromLeafHashes,
  createConsistencyProof,
  createInclusionProof,
  createMemoryNodeSource,
  hashLeaf,
  planConsistencyProof,
  planInclusionProof,
  verifyConsistencyProof,
  verifyInclusionProof,
} from './merkle-tree.js';

const MAX_SIZE = 300;
const leafHashes = Array.from({ length: MAX_SIZE }, (_, index) => hashLeaf(Buffer.from(`audit entry ${index}`)));
const source = createMemoryNodeSource(leafHashes);
const roots = new Map<number, Buffer>();
function rootOf(size: number): Buffer {
  const root = roots.get(size) ?? computeRootFromLeafHashes(leafHashes.slice(0, size));
  roots.set(size, root);
  return root;
}

function flipBit(hash: Buffer, bit: number): Buffer {
  const flipped = Buffer.from(hash);
  flipped[bit >> 3] = (flipped[bit >> 3] as number) ^ (1 << (bit & 7));
  return flipped;
}

const treeWithLeaf = fc.integer({ min: 1, max: MAX_SIZE }).chain((size) => fc.tuple(fc.constant(size), fc.integer({ min: 0, max: size - 1 })));
const twoSizes = fc.integer({ min: 1, max: MAX_SIZE }).chain((size2) => fc.tuple(fc.integer({ min: 1, max: size2 }), fc.constant(size2)));

describe('inclusion proofs', () => {
  it('verify for every leaf of every generated tree', async () => {
    await fc.assert(
      fc.asyncProperty(treeWithLeaf, async ([size, index]) => {
        const proof = await createInclusionProof(source, index, size);
        const verdict = verifyInclusionProof({ leafHash: leafHashes[index] as Buffer, leafIndex: index, treeSize: size, rootHash: rootOf(size), proof });
        expect(verdict).toEqual({ isValid: true });
      }),
      { numRuns: 300 },
    );
  });

  it('fail when any single bit of any proof hash is flipped', async () => {
    await fc.assert(
      fc.asyncProperty(treeWithLeaf.filter(([size]) => size > 1), fc.nat(), fc.integer({ min: 0, max: 255 }), async ([size, index], pick, bit) => {
        const proof = await createInclusionProof(source, index, size);
        const target = pick % proof.length;
        const tampered = proof.map((hash, position) => (position === target ? flipBit(hash, bit) : hash));
        const verdict = verifyInclusionProof({ leafHash: leafHashes[index] as Buffer, leafIndex: index, treeSize: size, rootHash: rootOf(size), proof: tampered });
        expect(verdict).toMatchObject({ isValid: false, reason: 'root-mismatch' });
      }),
      { numRuns: 300 },
    );
  });

  it('fail for any other leaf index, inside or outside the tree', async () => {
    await fc.assert(
      fc.asyncProperty(treeWithLeaf, fc.integer({ min: 0, max: MAX_SIZE * 2 }), async ([size, index], otherIndex) => {
        fc.pre(otherIndex !== index);
        const proof = await createInclusionProof(source, index, size);
        const verdict = verifyInclusionProof({ leafHash: leafHashes[index] as Buffer, leafIndex: otherIndex, treeSize: size, rootHash: rootOf(size), proof });
        expect(verdict.isValid).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it('fail for any other tree size whose proof for that leaf has another length', async () => {
    await fc.assert(
      fc.asyncProperty(treeWithLeaf, fc.integer({ min: 0, max: MAX_SIZE * 2 }), async ([size, index], otherSize) => {
        fc.pre(otherSize !== size && (otherSize <= index || planInclusionProof(index, otherSize).length !== planInclusionProof(index, size).length));
        const proof = await createInclusionProof(source, index, size);
        const verdict = verifyInclusionProof({ leafHash: leafHashes[index] as Buffer, leafIndex: index, treeSize: otherSize, rootHash: rootOf(size), proof });
        expect(verdict.isValid).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it('fail for another leaf hash or another tree root', async () => {
    await fc.assert(
      fc.asyncProperty(treeWithLeaf, fc.integer({ min: 1, max: MAX_SIZE }), async ([size, index], otherSize) => {
        const proof = await createInclusionProof(source, index, size);
        const claim = { leafHash: leafHashes[index] as Buffer, leafIndex: index, treeSize: size, rootHash: rootOf(size), proof };
        expect(verifyInclusionProof({ ...claim, leafHash: hashLeaf(Buffer.from('not in the log')) }).isValid).toBe(false);
        if (otherSize !== size) expect(verifyInclusionProof({ ...claim, rootHash: rootOf(otherSize) }).isValid).toBe(false);
      }),
      { numRuns: 200 },
    );
  });

  it('report one hash too many or too few as a wrong length, for every leaf of trees up to 64 leaves', () => {
    for (let size = 1; size <= 64; size += 1) {
      for (let index = 0; index < size; index += 1) {
        const length = planInclusionProof(index, size).length;
        const claim = { leafHash: leafHashes[index] as Buffer, leafIndex: index, treeSize: size, rootHash: rootOf(size) };
        const wrongLengths = length === 0 ? [1] : [length - 1, length + 1];
        for (const wrongLength of wrongLengths) {
          const proof = Array.from({ length: wrongLength }, () => claim.rootHash);
          expect(verifyInclusionProof({ ...claim, proof }), `${index} of ${size} with ${wrongLength}`).toMatchObject({ reason: 'wrong-proof-length' });
        }
      }
    }
  });

  it('bind the size only through the root: a proof with the same shape checks under another size', async () => {
    // RFC 9162 inherent: leaf 0 of 5 and leaf 0 of 6 both hash right three times. What stops a
    // wrong size is that callers take (size, root) together from a verified checkpoint.
    const proof = await createInclusionProof(source, 0, 5);
    const claim = { leafHash: leafHashes[0] as Buffer, leafIndex: 0, rootHash: rootOf(5), proof };
    expect(verifyInclusionProof({ ...claim, treeSize: 6 }).isValid).toBe(true);
    expect(verifyInclusionProof({ ...claim, treeSize: 6, rootHash: rootOf(6) }).isValid).toBe(false);
  });
});

describe('consistency proofs', () => {
  it('verify between every generated pair of sizes m ≤ n', async () => {
    await fc.assert(
      fc.asyncProperty(twoSizes, async ([size1, size2]) => {
        const proof = await createConsistencyProof(source, size1, size2);
        expect(verifyConsistencyProof({ size1, size2, root1: rootOf(size1), root2: rootOf(size2), proof })).toEqual({ isValid: true });
      }),
      { numRuns: 300 },
    );
  });

  it('fail when either root is altered by one bit or replaced by another tree root', async () => {
    await fc.assert(
      fc.asyncProperty(twoSizes, fc.integer({ min: 0, max: 255 }), fc.integer({ min: 1, max: MAX_SIZE }), async ([size1, size2], bit, otherSize) => {
        const proof = await createConsistencyProof(source, size1, size2);
        const claim = { size1, size2, root1: rootOf(size1), root2: rootOf(size2), proof };
        expect(verifyConsistencyProof({ ...claim, root1: flipBit(claim.root1, bit) }).isValid).toBe(false);
        expect(verifyConsistencyProof({ ...claim, root2: flipBit(claim.root2, bit) }).isValid).toBe(false);
        if (otherSize !== size1) expect(verifyConsistencyProof({ ...claim, root1: rootOf(otherSize) }).isValid).toBe(false);
        if (otherSize !== size2) expect(verifyConsistencyProof({ ...claim, root2: rootOf(otherSize) }).isValid).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it('fail when any single bit of any proof hash is flipped', async () => {
    await fc.assert(
      fc.asyncProperty(twoSizes.filter(([size1, size2]) => size1 < size2), fc.nat(), fc.integer({ min: 0, max: 255 }), async ([size1, size2], pick, bit) => {
        const proof = await createConsistencyProof(source, size1, size2);
        const target = pick % proof.length;
        const tampered = proof.map((hash, position) => (position === target ? flipBit(hash, bit) : hash));
        const verdict = verifyConsistencyProof({ size1, size2, root1: rootOf(size1), root2: rootOf(size2), proof: tampered });
        expect(verdict).toMatchObject({ isValid: false, reason: 'root-mismatch' });
      }),
      { numRuns: 300 },
    );
  });

  it('fail when the roots are swapped or the proof is presented for the other direction', async () => {
    await fc.assert(
      fc.asyncProperty(twoSizes.filter(([size1, size2]) => size1 < size2), async ([size1, size2]) => {
        const proof = await createConsistencyProof(source, size1, size2);
        expect(verifyConsistencyProof({ size1, size2, root1: rootOf(size2), root2: rootOf(size1), proof }).isValid).toBe(false);
        expect(verifyConsistencyProof({ size1: size2, size2: size1, root1: rootOf(size2), root2: rootOf(size1), proof })).toMatchObject({
          reason: 'tree-sizes-out-of-order',
        });
      }),
      { numRuns: 100 },
    );
  });

  it('report one hash too many or too few as a wrong length, for every pair up to 64 leaves', () => {
    for (let size2 = 1; size2 <= 64; size2 += 1) {
      for (let size1 = 1; size1 <= size2; size1 += 1) {
        const length = planConsistencyProof(size1, size2).length;
        const claim = { size1, size2, root1: rootOf(size1), root2: rootOf(size2) };
        const wrongLengths = length === 0 ? [1] : [length - 1, length + 1];
        for (const wrongLength of wrongLengths) {
          const proof = Array.from({ length: wrongLength }, () => claim.root1);
          expect(verifyConsistencyProof({ ...claim, proof }), `${size1}→${size2} with ${wrongLength}`).toMatchObject({ reason: 'wrong-proof-length' });
        }
      }
    }
  });
});
