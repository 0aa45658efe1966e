/**
 * Key commitment in the manner of the AWS Encryption SDK's committing suites: from the data key,
 * with the envelope's random message id as HKDF salt, derive a one-off encryption key and a
 * commitment to the data key. AES-GCM alone is not key-committing (one ciphertext can be made to
 * decrypt under two chosen keys); checking the stored commitment first means an envelope opens
 * under one key only. One HKDF-SHA512 call yields 64 bytes, one SHA-512 output block split in half:
 * the first 32 bytes are the encryption key, the last 32 the commitment. Halves of a PRF output are
 * independent of each other, and one call halves the cost per field.
 */
import { COMMITMENT_LENGTH, SUITE_AES256_GCM_HKDF_SHA512_COMMIT } from './envelope-format.js';
import { AES_KEY_LENGTH, hkdfSha512 } from './primitives.js';

const KEY_AND_COMMITMENT_INFO = Buffer.concat([
  Buffer.from([SUITE_AES256_GCM_HKDF_SHA512_COMMIT]),
  Buffer.from('rampart/envelope/key+commitment', 'ascii'),
]);

export interface EnvelopeKeys {
  encryptionKey: Buffer;
  commitment: Buffer;
}

export function deriveEnvelopeKeys(dataKey: Buffer, messageId: Buffer): EnvelopeKeys {
  const derived = hkdfSha512(dataKey, messageId, KEY_AND_COMMITMENT_INFO, AES_KEY_LENGTH + COMMITMENT_LENGTH);
  return { encryptionKey: derived.subarray(0, AES_KEY_LENGTH), commitment: derived.subarray(AES_KEY_LENGTH) };
}
