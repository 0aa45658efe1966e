/**
 * transparency-dev/merkle's inclusion and consistency cases (../shared/vectors/merkle, Apache-2.0)
 * run through our verifiers, and our generator checked against their happy paths. Each folder is
 * one base case (not a tree size); each file is that case or a mutation of it, with `wantErr`.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { sharedDir } from '../../test/support/shared-fixtures.js';
import { noteSkippedWhen } from '../../test/support/skip-notice.js';
import type { MerkleVerdict } from './merkle-tree.js';
import {
  computeRootFromLeafHashes,
  createConsistencyProof,
  createInclusionProof,
  createMemoryNodeSource,
  hashLeaf,
  verifyConsistencyProof,
  verifyInclusionProof,
} from './merkle-tree.js';

const vectorsDirectory = path.join(sharedDir, 'vectors', 'merkle');
const hasVectors = existsSync(vectorsDirectory);

// The files hold 2^64 − 1 as a bare JSON number, which JSON.parse would round; read it as a bigint.
const bigInteger = z.string().regex(/^\d+$/).transform((digits) => BigInt(digits));
const base64 = z.string().transform((text) => Buffer.from(text, 'base64'));
const proof = z.array(base64).nullable().transform((hashes) => hashes ?? []);

const inclusionCase = z.strictObject({
  leafIdx: bigInteger,
  treeSize: bigInteger,
  root: base64,
  leafHash: base64,
  proof,
  desc: z.string(),
  wantErr: z.boolean(),
});

const consistencyCase = z.strictObject({
  size1: bigInteger,
  size2: bigInteger,
  root1: base64,
  root2: base64,
  proof,
  desc: z.string(),
  wantErr: z.boolean(),
});

/**
 * The one case where we knowingly disagree: 12-byte "roots" ("don't care 2") at equal sizes,
 * accepted by the reference because it only compares the bytes. A root is a SHA-256 hash, so we
 * refuse anything that is not 32 bytes; the 32-byte form of the same case is accepted (0/happy-path).
 */
const stricterThanReference = new Map([['consistency/additional/sizes-are-equal-one-and-proof-is-empty.json', 'invalid-hash-length']]);

function listCaseFiles(kind: 'inclusion' | 'consistency'): string[] {
  const walk = (directory: string): string[] =>
    readdirSync(directory)
      .sort()
      .flatMap((name) => {
        const full = path.join(directory, name);
        if (statSync(full).isDirectory()) return walk(full);
        return name.endsWith('.json') ? [full] : [];
      });
  return hasVectors ? walk(path.join(vectorsDirectory, kind)) : [];
}

function readCase<T extends z.ZodType>(file: string, schema: T): z.output<T> {
  const quotedIntegers = readFileSync(file, 'utf8').replace(/"(leafIdx|treeSize|size1|size2)":\s*(\d+)/g, '"$1": "$2"');
  return schema.parse(JSON.parse(quotedIntegers));
}

/** What a JSON reader in production would hand us: numbers beyond 2^53 lose their exact value. */
const asNumber = (value: bigint): number => Number(value);

const inclusionCases = listCaseFiles('inclusion').map((file) => ({ name: path.relative(vectorsDirectory, file), vector: readCase(file, inclusionCase) }));
const consistencyCases = listCaseFiles('consistency').map((file) => ({ name: path.relative(vectorsDirectory, file), vector: readCase(file, consistencyCase) }));

function expectVerdict(name: string, wantErr: boolean, verdict: MerkleVerdict): void {
  const deviation = stricterThanReference.get(name);
  if (deviation !== undefined) {
    expect(wantErr, `${name} no longer expects acceptance; drop it from stricterThanReference`).toBe(false);
    expect(verdict, name).toMatchObject({ isValid: false, reason: deviation });
    return;
  }
  expect(verdict.isValid, `${name}: ${JSON.stringify(verdict)}`).toBe(!wantErr);
}

noteSkippedWhen(!hasVectors, 'Merkle proof vectors', `skipped: ${vectorsDirectory} is absent (transparency-dev/merkle cases; present in CI)`);

describe.skipIf(!hasVectors)('transparency-dev Merkle vectors', () => {
  it('finds every case file: 98 inclusion and 98 consistency', () => {
    // Fixed counts, so a moved or emptied folder fails instead of passing with nothing checked.
    expect(inclusionCases).toHaveLength(98);
    expect(consistencyCases).toHaveLength(98);
  });

  it(`gives each of the ${inclusionCases.length} inclusion cases the verdict its wantErr flag asks for`, () => {
    for (const { name, vector } of inclusionCases) {
      const verdict = verifyInclusionProof({
        leafHash: vector.leafHash,
        leafIndex: asNumber(vector.leafIdx),
        treeSize: asNumber(vector.treeSize),
        rootHash: vector.root,
        proof: vector.proof,
      });
      expectVerdict(name, vector.wantErr, verdict);
    }
    const accepted = inclusionCases.filter(({ vector }) => !vector.wantErr);
    expect(accepted.length).toBe(6);
  });

  it(`gives each of the ${consistencyCases.length} consistency cases the verdict its wantErr flag asks for (one stricter)`, () => {
    for (const { name, vector } of consistencyCases) {
      const verdict = verifyConsistencyProof({
        size1: asNumber(vector.size1),
        size2: asNumber(vector.size2),
        root1: vector.root1,
        root2: vector.root2,
        proof: vector.proof,
      });
      expectVerdict(name, vector.wantErr, verdict);
    }
    expect(consistencyCases.filter(({ name }) => stricterThanReference.has(name))).toHaveLength(1);
  });

  it('rejects the index 2^64 − 1 as not a safe integer rather than letting it wrap', () => {
    const wrapped = inclusionCases.filter(({ vector }) => vector.leafIdx > BigInt(Number.MAX_SAFE_INTEGER));
    expect(wrapped.length).toBeGreaterThan(0);
    for (const { vector } of wrapped) {
      const verdict = verifyInclusionProof({
        leafHash: vector.leafHash,
        leafIndex: asNumber(vector.leafIdx),
        treeSize: asNumber(vector.treeSize),
        rootHash: vector.root,
        proof: vector.proof,
      });
      expect(verdict).toMatchObject({ isValid: false, reason: 'invalid-leaf-index' });
    }
  });
});

/** The RFC 6962 test leaves the reference uses for its trees of up to 8 entries. */
const referenceLeafHashes = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'].map((hex) =>
  hashLeaf(Buffer.from(hex, 'hex')),
);
const referenceSource = createMemoryNodeSource(referenceLeafHashes);
const referenceRoot = (size: number): Buffer => computeRootFromLeafHashes(referenceLeafHashes.slice(0, size));

describe.skipIf(!hasVectors)('our proof generator against the vectors', () => {
  it('reproduces every accepted inclusion proof and root byte for byte', async () => {
    // The single-entry case uses a leaf of its own; the others are trees of the reference leaves.
    const happy = inclusionCases.filter(({ name, vector }) => !vector.wantErr && !name.startsWith('inclusion/single-entry/'));
    expect(happy.length).toBe(5);
    for (const { name, vector } of happy) {
      const index = asNumber(vector.leafIdx);
      const size = asNumber(vector.treeSize);
      expect(vector.leafHash.equals(referenceLeafHashes[index] as Buffer), `${name} leaf`).toBe(true);
      expect(referenceRoot(size).equals(vector.root), `${name} root`).toBe(true);
      const generated = await createInclusionProof(referenceSource, index, size);
      expect(generated.map((hash) => hash.toString('base64')), name).toEqual(vector.proof.map((hash) => hash.toString('base64')));
    }
  });

  it('reproduces every accepted consistency proof with real roots byte for byte', async () => {
    const happy = consistencyCases.filter(({ vector }) => !vector.wantErr && vector.root1.length === 32);
    expect(happy.length).toBe(5);
    for (const { name, vector } of happy) {
      const size1 = asNumber(vector.size1);
      const size2 = asNumber(vector.size2);
      expect(referenceRoot(size1).equals(vector.root1) && referenceRoot(size2).equals(vector.root2), `${name} roots`).toBe(true);
      const generated = await createConsistencyProof(referenceSource, size1, size2);
      expect(generated.map((hash) => hash.toString('base64')), name).toEqual(vector.proof.map((hash) => hash.toString('base64')));
    }
  });
});
