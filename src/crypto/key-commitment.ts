/**
 * Key commitment as in the AWS Encryption SDK's committing suites: from the data key, with the
 * envelope's random message id as HKDF salt, derive a one-off encryption key and a commitment to
 * the data key. AES-GCM alone is not key-committing (one ciphertext can be made to decrypt under
 * two chosen keys); checking the stored commitment first means an envelope opens under one key only.
 */
import { COMMITMENT_LENGTH, SUITE_AES256_GCM_HKDF_SHA512_COMMIT } from './envelope-format.js';
import { AES_KEY_LENGTH, hkdfSha512 } from './primitives.js';

const DERIVE_KEY_INFO = Buffer.concat([
  Buffer.from([SUITE_AES256_GCM_HKDF_SHA512_COMMIT]),
  Buffer.from('DERIVEKEY', 'ascii'),
]);
const COMMIT_KEY_INFO = Buffer.from('COMMITKEY', 'ascii');

export interface EnvelopeKeys {
  encryptionKey: Buffer;
  commitment: Buffer;
}

export function deriveEnvelopeKeys(dataKey: Buffer, messageId: Buffer): EnvelopeKeys {
  return {
    encryptionKey: hkdfSha512(dataKey, messageId, DERIVE_KEY_INFO, AES_KEY_LENGTH),
    commitment: hkdfSha512(dataKey, messageId, COMMIT_KEY_INFO, COMMITMENT_LENGTH),
  };
}
