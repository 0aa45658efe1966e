/**
 * Pins key commitment: an envelope names, through its commitment, the one data key it opens with,
 * and that is checked before AES-GCM runs. Leak guarded: a ciphertext crafted to decrypt under two
 * keys (AES-GCM is not key-committing) showing different plaintexts to different readers.
 */
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { decryptField, encryptField } from './envelope.js';
import { COMMITMENT_LENGTH, MESSAGE_ID_LENGTH, parseEnvelope } from './envelope-format.js';
import { deriveEnvelopeKeys } from './key-commitment.js';
import { decryptAesGcm, hkdfSha512, randomBytes } from './primitives.js';
import type * as Primitives from './primitives.js';

// A spy around the real decryptAesGcm, to see whether decryption was attempted at all.
vi.mock('./primitives.js', async (importOriginal) => {
  const actual = await importOriginal<typeof Primitives>();
  return { ...actual, decryptAesGcm: vi.fn(actual.decryptAesGcm) };
});

const keyInfo = { kekProvider: 'local', kekId: 'kr_1', kekVersion: 1, dataKeyId: 'dk-1' };
const context = { table: 'messages', column: 'body_enc', rowId: 'r1', contactId: 'c1' };
const decryptSpy = vi.mocked(decryptAesGcm);

/** Replaces the stored commitment with another of the same length. */
function withCommitment(envelope: Buffer, commitment: Buffer): Buffer {
  const { headerBytes } = parseEnvelope(envelope);
  const start = headerBytes.length - 12 - COMMITMENT_LENGTH;
  const forged = Buffer.from(envelope);
  commitment.copy(forged, start);
  return forged;
}

beforeEach(() => {
  decryptSpy.mockClear();
});

describe('key commitment', () => {
  it('decrypts with the right key, reaching AES-GCM exactly once', () => {
    const dataKey = randomBytes(32);
    const envelope = encryptField(dataKey, keyInfo, context, Buffer.from('hi'));
    expect(decryptField(dataKey, context, envelope).toString()).toBe('hi');
    expect(decryptSpy).toHaveBeenCalledTimes(1);
  });

  it('rejects a wrong data key at the commitment, before any decryption is attempted', () => {
    const envelope = encryptField(randomBytes(32), keyInfo, context, Buffer.from('hi'));
    expect(() => decryptField(randomBytes(32), context, envelope)).toThrow(
      expect.objectContaining({ code: 'DECRYPT_FAILED', message: 'Envelope is not committed to this key' }),
    );
    expect(decryptSpy).not.toHaveBeenCalled();
  });

  it('rejects a changed commitment before any decryption is attempted, even with the right key', () => {
    const dataKey = randomBytes(32);
    const envelope = encryptField(dataKey, keyInfo, context, Buffer.from('hi'));
    expect(() => decryptField(dataKey, context, withCommitment(envelope, randomBytes(COMMITMENT_LENGTH)))).toThrow(
      expect.objectContaining({ code: 'DECRYPT_FAILED' }),
    );
    expect(decryptSpy).not.toHaveBeenCalled();
  });

  it('still fails when a forger rewrites the commitment for their own key (AES-GCM then rejects)', () => {
    const envelope = encryptField(randomBytes(32), keyInfo, context, Buffer.from('hi'));
    const forgerKey = randomBytes(32);
    const { messageId } = parseEnvelope(envelope).header;
    const forged = withCommitment(envelope, deriveEnvelopeKeys(forgerKey, messageId).commitment);
    expect(() => decryptField(forgerKey, context, forged)).toThrow(expect.objectContaining({ code: 'DECRYPT_FAILED' }));
    expect(decryptSpy).toHaveBeenCalledTimes(1);
  });

  it('derives key and commitment from one HKDF-SHA512 output (salt = message id, suite-bound info)', () => {
    const dataKey = randomBytes(32);
    const messageId = randomBytes(MESSAGE_ID_LENGTH);
    const { encryptionKey, commitment } = deriveEnvelopeKeys(dataKey, messageId);
    const info = Buffer.concat([Buffer.from([1]), Buffer.from('rampart/envelope/key+commitment')]);
    const derived = hkdfSha512(dataKey, messageId, info, 64);
    expect(encryptionKey).toEqual(derived.subarray(0, 32));
    expect(commitment).toEqual(derived.subarray(32));
    expect(encryptionKey.equals(dataKey)).toBe(false);
    expect(encryptionKey.equals(commitment)).toBe(false);
    expect(deriveEnvelopeKeys(dataKey, randomBytes(MESSAGE_ID_LENGTH)).commitment.equals(commitment)).toBe(false);
  });
});
