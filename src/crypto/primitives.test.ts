import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AppError } from '../errors.js';
import {
  decryptAesGcm,
  encryptAesGcm,
  equalsConstantTime,
  hkdfSha256,
  hkdfSha512,
  hmacSha256,
  randomBytes,
} from './primitives.js';

const key = Buffer.alloc(32, 7);
const nonce = Buffer.alloc(12, 9);
const aad = Buffer.from('aad');

/** RFC 5869 extract-then-expand written out with HMAC, as an independent reference. */
function referenceHkdf(hash: 'sha256' | 'sha512', ikm: Buffer, salt: Buffer, info: Buffer, length: number): Buffer {
  const hashLength = hash === 'sha256' ? 32 : 64;
  const prk = createHmac(hash, salt.length > 0 ? salt : Buffer.alloc(hashLength)).update(ikm).digest();
  const blocks: Buffer[] = [];
  let previous = Buffer.alloc(0);
  for (let counter = 1; blocks.length * hashLength < length; counter += 1) {
    previous = createHmac(hash, prk).update(Buffer.concat([previous, info, Buffer.from([counter])])).digest();
    blocks.push(previous);
  }
  return Buffer.concat(blocks).subarray(0, length);
}

describe('AES-256-GCM', () => {
  it('round-trips and authenticates the AAD', () => {
    const plaintext = Buffer.from('hello');
    const { ciphertext, tag } = encryptAesGcm(key, nonce, plaintext, aad);
    expect(tag).toHaveLength(16);
    expect(decryptAesGcm(key, nonce, ciphertext, tag, aad)).toEqual(plaintext);
    expect(() => decryptAesGcm(key, nonce, ciphertext, tag, Buffer.from('other'))).toThrow(AppError);
  });

  it('refuses keys, nonces and tags of any size but 32, 12 and 16 bytes before reaching OpenSSL', () => {
    const { ciphertext, tag } = encryptAesGcm(key, nonce, Buffer.from('x'), aad);
    for (const badKey of [Buffer.alloc(16), Buffer.alloc(24), Buffer.alloc(31), Buffer.alloc(33)]) {
      expect(() => encryptAesGcm(badKey, nonce, Buffer.alloc(1), aad)).toThrow(RangeError);
      expect(() => decryptAesGcm(badKey, nonce, ciphertext, tag, aad)).toThrow(RangeError);
    }
    for (const badNonce of [Buffer.alloc(0), Buffer.alloc(8), Buffer.alloc(16)]) {
      expect(() => encryptAesGcm(key, badNonce, Buffer.alloc(1), aad)).toThrow(RangeError);
      expect(() => decryptAesGcm(key, badNonce, ciphertext, tag, aad)).toThrow(RangeError);
    }
    // A truncated tag that is a prefix of the right one: OpenSSL would accept it if asked.
    for (const length of [4, 8, 12, 15]) {
      expect(() => decryptAesGcm(key, nonce, ciphertext, tag.subarray(0, length), aad)).toThrow(RangeError);
    }
  });

  it('fails authentication with DECRYPT_FAILED and no plaintext in the message', () => {
    const { ciphertext, tag } = encryptAesGcm(key, nonce, Buffer.from('secret text'), aad);
    const forged = Buffer.from(tag);
    forged[0] = (forged[0] ?? 0) ^ 1;
    expect(() => decryptAesGcm(key, nonce, ciphertext, forged, aad)).toThrow(
      expect.objectContaining({ code: 'DECRYPT_FAILED', message: expect.not.stringContaining('secret') }),
    );
  });
});

describe('HKDF', () => {
  it('hkdfSha256 and hkdfSha512 agree with an RFC 5869 reference built from HMAC', () => {
    const ikm = randomBytes(32);
    const salt = randomBytes(32);
    const info = Buffer.from('rampart');
    for (const length of [1, 32, 33, 64, 100]) {
      expect(hkdfSha256(ikm, salt, info, length)).toEqual(referenceHkdf('sha256', ikm, salt, info, length));
      expect(hkdfSha512(ikm, salt, info, length)).toEqual(referenceHkdf('sha512', ikm, salt, info, length));
    }
  });

  it('refuses output lengths beyond 255 hash blocks', () => {
    expect(() => hkdfSha256(key, Buffer.alloc(0), Buffer.alloc(0), 255 * 32 + 1)).toThrow();
    expect(() => hkdfSha512(key, Buffer.alloc(0), Buffer.alloc(0), 255 * 64 + 1)).toThrow();
    expect(hkdfSha512(key, Buffer.alloc(0), Buffer.alloc(0), 255 * 64)).toHaveLength(255 * 64);
  });
});

describe('hmacSha256', () => {
  it('returns the full 32-byte tag (RFC 4231 test case 2)', () => {
    const tag = hmacSha256(Buffer.from('Jefe'), Buffer.from('what do ya want for nothing?'));
    expect(tag.toString('hex')).toBe('5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
  });
});

describe('equalsConstantTime', () => {
  it('compares equal-length buffers and returns false, without throwing, on a length mismatch', () => {
    expect(equalsConstantTime(Buffer.from('abc'), Buffer.from('abc'))).toBe(true);
    expect(equalsConstantTime(Buffer.from('abc'), Buffer.from('abd'))).toBe(false);
    expect(equalsConstantTime(Buffer.from('abc'), Buffer.from('abcd'))).toBe(false);
    expect(equalsConstantTime(Buffer.alloc(0), Buffer.alloc(0))).toBe(true);
  });
});

describe('randomBytes', () => {
  it('returns the requested length and differs between calls', () => {
    expect(randomBytes(32)).toHaveLength(32);
    expect(randomBytes(32).equals(randomBytes(32))).toBe(false);
  });
});
