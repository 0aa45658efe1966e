/**
 * Project Wycheproof vectors run through primitives.ts. The vectors live outside the repo, in
 * ../shared/vectors/wycheproof; when that folder is missing the suites are skipped and say so.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { isAppError } from '../errors.js';
import { decryptAesGcm, encryptAesGcm, equalsConstantTime, hkdfSha256, hmacSha256 } from './primitives.js';

const repoRoot = path.resolve(fileURLToPath(import.meta.url), '..', '..', '..');
const vectorsDirectory = path.resolve(repoRoot, '..', 'shared', 'vectors', 'wycheproof');
const hasVectors = existsSync(vectorsDirectory);
const suiteTitle = (name: string): string =>
  hasVectors ? `Wycheproof ${name}` : `Wycheproof ${name} (skipped: ${vectorsDirectory} not found)`;

const hex = z.string().regex(/^([0-9a-f]{2})*$/).transform((value) => Buffer.from(value, 'hex'));
const result = z.enum(['valid', 'invalid', 'acceptable']);

const aeadFile = z.object({
  algorithm: z.literal('AES-GCM'),
  testGroups: z.array(
    z.object({
      keySize: z.number(),
      ivSize: z.number(),
      tagSize: z.number(),
      tests: z.array(
        z.object({ tcId: z.number(), key: hex, iv: hex, aad: hex, msg: hex, ct: hex, tag: hex, result }),
      ),
    }),
  ),
});

const macFile = z.object({
  algorithm: z.literal('HMACSHA256'),
  testGroups: z.array(
    z.object({
      tagSize: z.number(),
      tests: z.array(z.object({ tcId: z.number(), key: hex, msg: hex, tag: hex, result })),
    }),
  ),
});

const hkdfFile = z.object({
  algorithm: z.literal('HKDF-SHA-256'),
  testGroups: z.array(
    z.object({
      tests: z.array(
        z.object({ tcId: z.number(), ikm: hex, salt: hex, info: hex, size: z.number(), okm: hex, result }),
      ),
    }),
  ),
});

function loadVectors<T extends z.ZodType>(fileName: string, schema: T): z.output<T> | undefined {
  if (!hasVectors) return undefined;
  return schema.parse(JSON.parse(readFileSync(path.join(vectorsDirectory, fileName), 'utf8')));
}

function captureError(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  return undefined;
}

const aesGcm = loadVectors('aes_gcm_test.json', aeadFile);
const aesGcmCases = (aesGcm?.testGroups ?? []).flatMap((group) => group.tests.map((test) => ({ group, test })));
// Our product uses one parameter set; Wycheproof's others must be refused, not computed.
const isProductParameterSet = ({ group }: (typeof aesGcmCases)[number]): boolean =>
  group.keySize === 256 && group.ivSize === 96 && group.tagSize === 128;
const supportedCases = aesGcmCases.filter(isProductParameterSet);
const supportedValid = supportedCases.filter(({ test }) => test.result === 'valid');
const supportedInvalid = supportedCases.filter(({ test }) => test.result !== 'valid');
const refusedCases = aesGcmCases.filter((entry) => !isProductParameterSet(entry));

describe.skipIf(!hasVectors)(suiteTitle('AES-GCM (aes_gcm_test.json)'), () => {
  it(`matches all ${supportedValid.length} valid AES-256 / 96-bit IV / 128-bit tag cases both ways`, () => {
    expect(supportedValid.length).toBeGreaterThan(0);
    for (const { test } of supportedValid) {
      const sealed = encryptAesGcm(test.key, test.iv, test.msg, test.aad);
      expect(sealed.ciphertext.equals(test.ct) && sealed.tag.equals(test.tag), `tcId ${test.tcId} encrypt`).toBe(true);
      const opened = decryptAesGcm(test.key, test.iv, test.ct, test.tag, test.aad);
      expect(opened.equals(test.msg), `tcId ${test.tcId} decrypt`).toBe(true);
    }
  });

  it(`rejects all ${supportedInvalid.length} invalid AES-256 / 96-bit IV cases with DECRYPT_FAILED`, () => {
    expect(supportedInvalid.length).toBeGreaterThan(0);
    for (const { test } of supportedInvalid) {
      const error = captureError(() => decryptAesGcm(test.key, test.iv, test.ct, test.tag, test.aad));
      expect(isAppError(error) && error.code === 'DECRYPT_FAILED', `tcId ${test.tcId}`).toBe(true);
    }
  });

  it(`refuses all ${refusedCases.length} cases with other key, IV or tag sizes, valid or not`, () => {
    expect(refusedCases.length).toBeGreaterThan(0);
    expect(refusedCases.length + supportedCases.length).toBe(aesGcmCases.length);
    for (const { test } of refusedCases) {
      const decryptError = captureError(() => decryptAesGcm(test.key, test.iv, test.ct, test.tag, test.aad));
      expect(decryptError, `tcId ${test.tcId} decrypt`).toBeInstanceOf(RangeError);
      const encryptError = captureError(() => encryptAesGcm(test.key, test.iv, test.msg, test.aad));
      expect(encryptError, `tcId ${test.tcId} encrypt`).toBeInstanceOf(RangeError);
    }
  });
});

const hmac = loadVectors('hmac_sha256_test.json', macFile);
const hmacCases = (hmac?.testGroups ?? []).flatMap((group) => group.tests.map((test) => ({ group, test })));

/** Verification as a caller would do it: our full tag, cut to the size under test, compared in constant time. */
function verifyTag(key: Buffer, message: Buffer, tag: Buffer, tagSizeBits: number): boolean {
  return equalsConstantTime(hmacSha256(key, message).subarray(0, tagSizeBits / 8), tag);
}

describe.skipIf(!hasVectors)(suiteTitle('HMAC-SHA256 (hmac_sha256_test.json)'), () => {
  const valid = hmacCases.filter(({ test }) => test.result === 'valid');
  const invalid = hmacCases.filter(({ test }) => test.result !== 'valid');

  it(`computes the tag of all ${valid.length} valid cases (full tags exactly, truncated ones as a prefix)`, () => {
    expect(valid.length).toBeGreaterThan(0);
    for (const { group, test } of valid) {
      const tag = hmacSha256(test.key, test.msg);
      expect(tag).toHaveLength(32);
      if (group.tagSize === 256) expect(tag.equals(test.tag), `tcId ${test.tcId}`).toBe(true);
      expect(verifyTag(test.key, test.msg, test.tag, group.tagSize), `tcId ${test.tcId}`).toBe(true);
    }
  });

  it(`rejects all ${invalid.length} modified tags`, () => {
    expect(invalid.length).toBeGreaterThan(0);
    for (const { group, test } of invalid) {
      expect(verifyTag(test.key, test.msg, test.tag, group.tagSize), `tcId ${test.tcId}`).toBe(false);
      // Compared against our full tag, as the product does, a modified or truncated tag never matches either.
      expect(equalsConstantTime(hmacSha256(test.key, test.msg), test.tag), `tcId ${test.tcId} full`).toBe(false);
    }
  });
});

const hkdf = loadVectors('hkdf_sha256_test.json', hkdfFile);
const hkdfCases = (hkdf?.testGroups ?? []).flatMap((group) => group.tests);

describe.skipIf(!hasVectors)(suiteTitle('HKDF-SHA256 (hkdf_sha256_test.json)'), () => {
  const valid = hkdfCases.filter((test) => test.result === 'valid');
  const invalid = hkdfCases.filter((test) => test.result !== 'valid');

  it(`derives the expected output for all ${valid.length} valid cases`, () => {
    expect(valid.length).toBeGreaterThan(0);
    for (const test of valid) {
      expect(hkdfSha256(test.ikm, test.salt, test.info, test.size).equals(test.okm), `tcId ${test.tcId}`).toBe(true);
    }
  });

  it(`throws for all ${invalid.length} invalid cases (output size too large)`, () => {
    expect(invalid.length).toBeGreaterThan(0);
    for (const test of invalid) {
      expect(() => hkdfSha256(test.ikm, test.salt, test.info, test.size), `tcId ${test.tcId}`).toThrow();
    }
  });
});
