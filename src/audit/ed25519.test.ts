/**
 * Project Wycheproof's Ed25519 vectors (../shared/vectors/wycheproof/ed25519_test.json) through
 * verifyEd25519Signature, the function checkpoint verification calls. Skipped, saying so, when
 * the file is absent.
 */
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { sharedDir } from '../../test/support/shared-fixtures.js';
import { noteSkippedWhen } from '../../test/support/skip-notice.js';
import { createEd25519PrivateKey, readEd25519PublicKey, signEd25519, verifyEd25519Signature } from './ed25519.js';

const vectorsFile = path.join(sharedDir, 'vectors', 'wycheproof', 'ed25519_test.json');
const hasVectors = existsSync(vectorsFile);

const hex = z.string().regex(/^([0-9a-f]{2})*$/).transform((value) => Buffer.from(value, 'hex'));
const eddsaFile = z.object({
  algorithm: z.literal('EDDSA'),
  numberOfTests: z.number(),
  testGroups: z.array(
    z.object({
      publicKey: z.object({ curve: z.literal('edwards25519'), pk: hex }),
      tests: z.array(z.object({ tcId: z.number(), comment: z.string(), msg: hex, sig: hex, result: z.enum(['valid', 'invalid', 'acceptable']) })),
    }),
  ),
});

const vectors = hasVectors ? eddsaFile.parse(JSON.parse(readFileSync(vectorsFile, 'utf8'))) : undefined;
const cases = (vectors?.testGroups ?? []).flatMap((group) => group.tests.map((test) => ({ publicKey: group.publicKey.pk, test })));
const valid = cases.filter(({ test }) => test.result === 'valid');
// No Ed25519 case is "acceptable" today; if one appears it must be refused too (we accept only what is valid).
const refused = cases.filter(({ test }) => test.result !== 'valid');

noteSkippedWhen(!hasVectors, 'Wycheproof Ed25519', `skipped: ${vectorsFile} is absent (Project Wycheproof vectors; present in CI)`);

describe.skipIf(!hasVectors)('Wycheproof Ed25519 (ed25519_test.json)', () => {
  it('runs every case in the file', () => {
    expect(cases).toHaveLength(vectors?.numberOfTests ?? -1);
    expect(valid.length).toBeGreaterThan(0);
    expect(refused.length).toBeGreaterThan(0);
  });

  it(`verifies all ${valid.length} valid signatures`, () => {
    for (const { publicKey, test } of valid) {
      expect(verifyEd25519Signature(publicKey, test.msg, test.sig), `tcId ${test.tcId} ${test.comment}`).toBe(true);
    }
  });

  it(`rejects all ${refused.length} invalid signatures (malleable S, bad encodings, truncations, garbage)`, () => {
    for (const { publicKey, test } of refused) {
      expect(verifyEd25519Signature(publicKey, test.msg, test.sig), `tcId ${test.tcId} ${test.comment}`).toBe(false);
    }
  });
});

describe('Ed25519 keys', () => {
  it('derives the RFC 8032 test 1 public key and signature from its seed', () => {
    // RFC 8032 §7.1, TEST 1 (empty message).
    const seed = Buffer.from('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60', 'hex');
    const privateKey = createEd25519PrivateKey(seed);
    const publicKey = readEd25519PublicKey(privateKey);
    expect(publicKey.toString('hex')).toBe('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a');
    const signature = signEd25519(privateKey, Buffer.alloc(0));
    expect(signature.toString('hex')).toBe(
      'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
    );
    expect(verifyEd25519Signature(publicKey, Buffer.alloc(0), signature)).toBe(true);
  });

  it('returns false, never throws, for keys and signatures of the wrong size', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const raw = readEd25519PublicKey(publicKey);
    const signature = signEd25519(privateKey, Buffer.from('m'));
    expect(verifyEd25519Signature(raw, Buffer.from('m'), signature)).toBe(true);
    expect(verifyEd25519Signature(raw.subarray(1), Buffer.from('m'), signature)).toBe(false);
    expect(verifyEd25519Signature(raw, Buffer.from('m'), signature.subarray(0, 63))).toBe(false);
    expect(verifyEd25519Signature(raw, Buffer.from('m'), Buffer.concat([signature, Buffer.alloc(1)]))).toBe(false);
    expect(verifyEd25519Signature(Buffer.alloc(32, 0xff), Buffer.from('m'), signature)).toBe(false);
  });

  it('refuses seeds of the wrong size and keys of other algorithms', () => {
    expect(() => createEd25519PrivateKey(Buffer.alloc(31))).toThrow(RangeError);
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    expect(() => readEd25519PublicKey(privateKey)).toThrow(TypeError);
    expect(() => signEd25519(privateKey, Buffer.from('m'))).toThrow(TypeError);
    const { publicKey } = generateKeyPairSync('ed25519');
    expect(() => signEd25519(publicKey, Buffer.from('m'))).toThrow(TypeError);
  });
});
