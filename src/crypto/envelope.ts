/**
 * Field encryption: every PII column holds one envelope (layout in envelope-format.ts and README.md).
 * The AAD is the whole header plus the canonical context, so an envelope copied to another row,
 * column or contact, or re-labelled with other key metadata, fails authentication.
 */
import { AppError } from '../errors.js';
import {
  encodeEnvelopeContext,
  encodeEnvelopeHeader,
  failDecrypt,
  MESSAGE_ID_LENGTH,
  parseEnvelope,
} from './envelope-format.js';
import type { EnvelopeContext, EnvelopeHeader, EnvelopeKeyInfo } from './envelope-format.js';
import { deriveEnvelopeKeys } from './key-commitment.js';
import {
  AES_KEY_LENGTH,
  decryptAesGcm,
  encryptAesGcm,
  equalsConstantTime,
  GCM_NONCE_LENGTH,
  randomBytes,
} from './primitives.js';

export type { EnvelopeContext, EnvelopeHeader, EnvelopeKeyInfo } from './envelope-format.js';

/** Throws RangeError for an unusable key, bad key metadata or an unbindable context (caller bugs). */
export function encryptField(
  dataKey: Buffer,
  keyInfo: EnvelopeKeyInfo,
  context: EnvelopeContext,
  plaintext: Buffer,
): Buffer {
  assertUsableDataKey(dataKey);
  const contextBytes = encodeEnvelopeContext(context);
  // One draw from the CSPRNG for both random fields.
  const random = randomBytes(MESSAGE_ID_LENGTH + GCM_NONCE_LENGTH);
  const messageId = random.subarray(0, MESSAGE_ID_LENGTH);
  const nonce = random.subarray(MESSAGE_ID_LENGTH);
  const { encryptionKey, commitment } = deriveEnvelopeKeys(dataKey, messageId);
  try {
    const header = encodeEnvelopeHeader({ keyInfo, messageId, commitment, nonce });
    const { ciphertext, tag } = encryptAesGcm(encryptionKey, nonce, plaintext, Buffer.concat([header, contextBytes]));
    return Buffer.concat([header, ciphertext, tag]);
  } finally {
    encryptionKey.fill(0);
  }
}

/**
 * Throws AppError('DECRYPT_FAILED') for every failure: malformed or unsupported envelope, wrong
 * key, wrong context, tampering. Messages name the kind of failure, never the data.
 */
export function decryptField(dataKey: Buffer, context: EnvelopeContext, envelope: Buffer): Buffer {
  try {
    return openEnvelope(dataKey, context, envelope);
  } catch (error) {
    if (error instanceof AppError && error.code === 'DECRYPT_FAILED') throw error;
    throw failDecrypt('Envelope could not be decrypted');
  }
}

function openEnvelope(dataKey: Buffer, context: EnvelopeContext, envelope: Buffer): Buffer {
  if (!isUsableDataKey(dataKey)) throw failDecrypt('Data key is not a usable 32-byte key');
  const parsed = parseEnvelope(envelope);
  const contextBytes = encodeEnvelopeContext(context);
  const { encryptionKey, commitment } = deriveEnvelopeKeys(dataKey, parsed.header.messageId);
  try {
    // Checked before any decryption, so a ciphertext crafted to open under two keys never reaches GCM.
    if (!equalsConstantTime(commitment, parsed.commitment)) throw failDecrypt('Envelope is not committed to this key');
    const aad = Buffer.concat([parsed.headerBytes, contextBytes]);
    return decryptAesGcm(encryptionKey, parsed.nonce, parsed.ciphertext, parsed.tag, aad);
  } finally {
    encryptionKey.fill(0);
  }
}

/** Validated header, so a caller can look up and unwrap the data key named in it. */
export function readEnvelopeHeader(envelope: Buffer): EnvelopeHeader {
  return parseEnvelope(envelope).header;
}

/** Strings are stored as UTF-8; a lone surrogate in the input becomes U+FFFD. */
export function encryptText(dataKey: Buffer, keyInfo: EnvelopeKeyInfo, context: EnvelopeContext, text: string): Buffer {
  return encryptField(dataKey, keyInfo, context, Buffer.from(text, 'utf8'));
}

export function decryptText(dataKey: Buffer, context: EnvelopeContext, envelope: Buffer): string {
  const plaintext = decryptField(dataKey, context, envelope);
  const text = plaintext.toString('utf8');
  plaintext.fill(0);
  return text;
}

/** Throws RangeError when the value has no JSON form (undefined, a function, a symbol). */
export function encryptJson(dataKey: Buffer, keyInfo: EnvelopeKeyInfo, context: EnvelopeContext, value: unknown): Buffer {
  const json: string | undefined = JSON.stringify(value);
  if (json === undefined) throw new RangeError('Value has no JSON representation');
  return encryptText(dataKey, keyInfo, context, json);
}

/** Returns unknown: the caller validates the shape with its own schema. */
export function decryptJson(dataKey: Buffer, context: EnvelopeContext, envelope: Buffer): unknown {
  const json = decryptText(dataKey, context, envelope);
  try {
    return JSON.parse(json) as unknown;
  } catch {
    // No cause: V8's SyntaxError message quotes the decrypted text.
    throw failDecrypt('Decrypted field is not JSON');
  }
}

function assertUsableDataKey(dataKey: Buffer): void {
  if (!isUsableDataKey(dataKey)) throw new RangeError(`Data key must be ${AES_KEY_LENGTH} bytes and not all zero`);
}

/** An all-zero key is what a wiped buffer looks like; refusing it turns use-after-wipe into an error. */
function isUsableDataKey(dataKey: Buffer): boolean {
  return dataKey.length === AES_KEY_LENGTH && dataKey.some((byte) => byte !== 0);
}
