/**
 * The only module that calls node:crypto's ciphers, MACs and KDFs. Everything else in Rampart
 * builds on these few functions, so sizes are checked here, once, before OpenSSL sees them.
 */
import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  hkdfSync,
  randomBytes as generateRandomBytes,
  timingSafeEqual,
} from 'node:crypto';
import { AppError } from '../errors.js';

export const AES_KEY_LENGTH = 32;
export const GCM_NONCE_LENGTH = 12;
export const GCM_TAG_LENGTH = 16;

export interface AesGcmOutput {
  ciphertext: Buffer;
  tag: Buffer;
}

/** AES-256-GCM with a 96-bit nonce and a 128-bit tag; the caller supplies a nonce used once per key. */
export function encryptAesGcm(key: Buffer, nonce: Buffer, plaintext: Buffer, aad: Buffer): AesGcmOutput {
  assertAesGcmSizes(key, nonce);
  const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: GCM_TAG_LENGTH });
  cipher.setAAD(aad);
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return { ciphertext, tag: cipher.getAuthTag() };
}

/**
 * Throws RangeError for a key, nonce or tag of the wrong size (a caller bug, checked before OpenSSL,
 * which would otherwise accept other IV lengths and truncated tags) and AppError('DECRYPT_FAILED')
 * when authentication fails. No plaintext is released unless the tag verifies.
 */
export function decryptAesGcm(key: Buffer, nonce: Buffer, ciphertext: Buffer, tag: Buffer, aad: Buffer): Buffer {
  assertAesGcmSizes(key, nonce);
  if (tag.length !== GCM_TAG_LENGTH) throw new RangeError(`AES-GCM tag must be ${GCM_TAG_LENGTH} bytes`);
  const decipher = createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: GCM_TAG_LENGTH });
  decipher.setAAD(aad);
  decipher.setAuthTag(tag);
  const plaintext = decipher.update(ciphertext);
  try {
    return Buffer.concat([plaintext, decipher.final()]);
  } catch {
    // update() already produced unauthenticated plaintext; wipe it before failing.
    plaintext.fill(0);
    throw new AppError('DECRYPT_FAILED', 'Ciphertext failed authentication');
  }
}

function assertAesGcmSizes(key: Buffer, nonce: Buffer): void {
  if (key.length !== AES_KEY_LENGTH) throw new RangeError(`AES-256-GCM key must be ${AES_KEY_LENGTH} bytes`);
  if (nonce.length !== GCM_NONCE_LENGTH) throw new RangeError(`AES-GCM nonce must be ${GCM_NONCE_LENGTH} bytes`);
}

/** The full 32-byte HMAC-SHA256 tag; we never truncate. */
export function hmacSha256(key: Buffer, data: Buffer): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

/** HKDF (RFC 5869) with SHA-256; throws when length exceeds 255 × 32 bytes. */
export function hkdfSha256(ikm: Buffer, salt: Buffer, info: Buffer, length: number): Buffer {
  return Buffer.from(hkdfSync('sha256', ikm, salt, info, length));
}

/** HKDF (RFC 5869) with SHA-512; throws when length exceeds 255 × 64 bytes. */
export function hkdfSha512(ikm: Buffer, salt: Buffer, info: Buffer, length: number): Buffer {
  return Buffer.from(hkdfSync('sha512', ikm, salt, info, length));
}

/**
 * Constant time for inputs of equal length. A length mismatch returns false at once: lengths of
 * MACs and commitments are public, so that early exit reveals nothing secret.
 */
export function equalsConstantTime(a: Buffer, b: Buffer): boolean {
  if (a.length !== b.length) return false;
  return timingSafeEqual(a, b);
}

/** Bytes from the operating system's CSPRNG. */
export function randomBytes(length: number): Buffer {
  return generateRandomBytes(length);
}
