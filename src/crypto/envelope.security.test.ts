/**
 * Pins: a field envelope opens only with its own key, in its own table/column/row/contact, byte for
 * byte as written. Leaks guarded: ciphertext copied between rows or contacts revealing another
 * customer's data; tampering or truncation going unnoticed; error messages quoting plaintext.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isAppError } from '../errors.js';
import { decryptField, encryptField } from './envelope.js';
import type { EnvelopeContext, EnvelopeKeyInfo } from './envelope.js';
import { randomBytes } from './primitives.js';

const keyInfo: EnvelopeKeyInfo = { kekProvider: 'local', kekId: 'kr_ab12', kekVersion: 3, dataKeyId: 'dk-1' };
const contextFields = ['table', 'column', 'rowId', 'contactId'] as const;

const nonEmptyText = fc.string({ unit: 'binary', minLength: 1, maxLength: 24 });
const contextArbitrary: fc.Arbitrary<EnvelopeContext> = fc.record({
  table: nonEmptyText,
  column: nonEmptyText,
  rowId: nonEmptyText,
  contactId: fc.string({ unit: 'binary', maxLength: 24 }),
});
const plaintextArbitrary = fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes));
const keyArbitrary = fc
  .uint8Array({ minLength: 32, maxLength: 32 })
  .filter((bytes) => bytes.some((byte) => byte !== 0))
  .map((bytes) => Buffer.from(bytes));

/** True when decryption failed the way it must: DECRYPT_FAILED, with no plaintext in the message. */
function isRejected(action: () => Buffer, plaintext: Buffer): boolean {
  try {
    action();
    return false;
  } catch (error) {
    if (!isAppError(error) || error.code !== 'DECRYPT_FAILED') return false;
    return plaintext.length < 4 || !error.message.includes(plaintext.toString('utf8'));
  }
}

describe('envelope binding to its context', () => {
  it('fails for a context differing in table, column, rowId or contactId alone', () => {
    fc.assert(
      fc.property(
        keyArbitrary,
        contextArbitrary,
        plaintextArbitrary,
        fc.constantFrom(...contextFields),
        nonEmptyText,
        (dataKey, context, plaintext, field, replacement) => {
          fc.pre(context[field] !== replacement);
          const envelope = encryptField(dataKey, keyInfo, context, plaintext);
          expect(decryptField(dataKey, context, envelope)).toEqual(plaintext);
          const moved = { ...context, [field]: replacement };
          expect(isRejected(() => decryptField(dataKey, moved, envelope), plaintext)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('fails when ciphertexts are swapped between two rows, columns or contacts under the same key', () => {
    fc.assert(
      fc.property(keyArbitrary, contextArbitrary, contextArbitrary, plaintextArbitrary, (dataKey, first, second, text) => {
        fc.pre(contextFields.some((field) => first[field] !== second[field]));
        const firstEnvelope = encryptField(dataKey, keyInfo, first, text);
        const secondEnvelope = encryptField(dataKey, keyInfo, second, text);
        expect(isRejected(() => decryptField(dataKey, second, firstEnvelope), text)).toBe(true);
        expect(isRejected(() => decryptField(dataKey, first, secondEnvelope), text)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('does not confuse contexts whose fields concatenate to the same string', () => {
    const dataKey = randomBytes(32);
    const written = { table: 'ab', column: 'c', rowId: '1', contactId: '' };
    const envelope = encryptField(dataKey, keyInfo, written, Buffer.from('x'));
    for (const shifted of [
      { table: 'a', column: 'bc', rowId: '1', contactId: '' },
      { table: 'ab', column: 'c1', rowId: '', contactId: '' },
      { table: 'ab', column: 'c', rowId: '', contactId: '1' },
    ]) {
      expect(() => decryptField(dataKey, shifted, envelope)).toThrow(expect.objectContaining({ code: 'DECRYPT_FAILED' }));
    }
  });

  it('refuses context strings with lone surrogates, which would share UTF-8 bytes with U+FFFD', () => {
    const dataKey = randomBytes(32);
    expect(() => encryptField(dataKey, keyInfo, { table: 't', column: 'c', rowId: '\uD800', contactId: '' }, Buffer.alloc(1))).toThrow(
      RangeError,
    );
    const envelope = encryptField(dataKey, keyInfo, { table: 't', column: 'c', rowId: '\uFFFD', contactId: '' }, Buffer.alloc(1));
    expect(() => decryptField(dataKey, { table: 't', column: 'c', rowId: '\uD800', contactId: '' }, envelope)).toThrow(
      expect.objectContaining({ code: 'DECRYPT_FAILED' }),
    );
  });
});

describe('envelope integrity', () => {
  it('fails for every single-bit flip anywhere in one envelope (exhaustive)', () => {
    const dataKey = randomBytes(32);
    const context = { table: 'messages', column: 'body_enc', rowId: 'r1', contactId: 'c1' };
    const plaintext = Buffer.from('hello, customer');
    const envelope = encryptField(dataKey, keyInfo, context, plaintext);
    let flips = 0;
    for (let bit = 0; bit < envelope.length * 8; bit += 1) {
      const tampered = Buffer.from(envelope);
      tampered[bit >> 3] = (tampered[bit >> 3] ?? 0) ^ (1 << (bit & 7));
      expect(isRejected(() => decryptField(dataKey, context, tampered), plaintext), `bit ${bit}`).toBe(true);
      flips += 1;
    }
    expect(flips).toBe(envelope.length * 8);
  });

  it('fails for a random single-bit flip in random envelopes', () => {
    fc.assert(
      fc.property(keyArbitrary, contextArbitrary, plaintextArbitrary, fc.nat(), (dataKey, context, plaintext, seed) => {
        const envelope = encryptField(dataKey, keyInfo, context, plaintext);
        const bit = seed % (envelope.length * 8);
        const tampered = Buffer.from(envelope);
        tampered[bit >> 3] = (tampered[bit >> 3] ?? 0) ^ (1 << (bit & 7));
        expect(isRejected(() => decryptField(dataKey, context, tampered), plaintext)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('fails when truncated to any shorter length or extended by any bytes', () => {
    fc.assert(
      fc.property(
        keyArbitrary,
        contextArbitrary,
        plaintextArbitrary,
        fc.nat(),
        fc.uint8Array({ minLength: 1, maxLength: 64 }),
        (dataKey, context, plaintext, seed, extra) => {
          const envelope = encryptField(dataKey, keyInfo, context, plaintext);
          const truncated = envelope.subarray(0, seed % envelope.length);
          expect(isRejected(() => decryptField(dataKey, context, truncated), plaintext)).toBe(true);
          const extended = Buffer.concat([envelope, extra]);
          expect(isRejected(() => decryptField(dataKey, context, extended), plaintext)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('fails under any other data key', () => {
    fc.assert(
      fc.property(keyArbitrary, keyArbitrary, contextArbitrary, plaintextArbitrary, (dataKey, otherKey, context, text) => {
        fc.pre(!dataKey.equals(otherKey));
        const envelope = encryptField(dataKey, keyInfo, context, text);
        expect(isRejected(() => decryptField(otherKey, context, envelope), text)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });
});
