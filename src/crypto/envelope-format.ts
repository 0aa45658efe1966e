/**
 * Byte layout of the field envelope (format version 1, suite 1). See README.md for the table.
 *
 *   "RM" | version u8 | suite u8 | len u8 + kekProvider | len u8 + kekId | kekVersion u32 BE
 *   | len u8 + dataKeyId (≤ 64) | messageId 32 | commitment 32 | nonce 12 | ciphertext | tag 16
 *
 * The header is everything from the magic to the nonce; all of it is authenticated as AAD.
 */
import { AppError } from '../errors.js';
import { createByteReader, encodeLengthPrefixedStrings, encodeShortAscii, encodeUint32 } from './byte-encoding.js';
import { GCM_NONCE_LENGTH, GCM_TAG_LENGTH } from './primitives.js';

export const ENVELOPE_MAGIC = Buffer.from('RM', 'ascii');
export const ENVELOPE_FORMAT_VERSION = 1;
/** AES-256-GCM, key and commitment derived with HKDF-SHA512 from the data key and message id. */
export const SUITE_AES256_GCM_HKDF_SHA512_COMMIT = 1;
export const MESSAGE_ID_LENGTH = 32;
export const COMMITMENT_LENGTH = 32;
export const MAX_DATA_KEY_ID_LENGTH = 64;
const MAX_KEK_FIELD_LENGTH = 255;

/** Where a ciphertext lives. contactId is '' for system-owned data. */
export interface EnvelopeContext {
  table: string;
  column: string;
  rowId: string;
  contactId: string;
}

/** Which key encrypted the field, so a reader can find and unwrap the data key. */
export interface EnvelopeKeyInfo {
  kekProvider: string;
  kekId: string;
  kekVersion: number;
  dataKeyId: string;
}

export interface EnvelopeHeader extends EnvelopeKeyInfo {
  formatVersion: number;
  suiteId: number;
  messageId: Buffer;
}

export interface ParsedEnvelope {
  header: EnvelopeHeader;
  /** Magic through nonce, exactly as stored: the first part of the AAD. */
  headerBytes: Buffer;
  commitment: Buffer;
  nonce: Buffer;
  ciphertext: Buffer;
  tag: Buffer;
}

export interface HeaderFields {
  keyInfo: EnvelopeKeyInfo;
  messageId: Buffer;
  commitment: Buffer;
  nonce: Buffer;
}

/** Throws RangeError when an identifier is not short printable ASCII (a caller bug). */
export function encodeEnvelopeHeader(fields: HeaderFields): Buffer {
  const { keyInfo, messageId, commitment, nonce } = fields;
  if (messageId.length !== MESSAGE_ID_LENGTH || commitment.length !== COMMITMENT_LENGTH) {
    throw new RangeError('Message id and commitment must be 32 bytes');
  }
  if (nonce.length !== GCM_NONCE_LENGTH) throw new RangeError('Nonce must be 12 bytes');
  return Buffer.concat([
    ENVELOPE_MAGIC,
    Buffer.from([ENVELOPE_FORMAT_VERSION, SUITE_AES256_GCM_HKDF_SHA512_COMMIT]),
    encodeShortAscii(keyInfo.kekProvider, MAX_KEK_FIELD_LENGTH),
    encodeShortAscii(keyInfo.kekId, MAX_KEK_FIELD_LENGTH),
    encodeUint32(keyInfo.kekVersion),
    encodeShortAscii(keyInfo.dataKeyId, MAX_DATA_KEY_ID_LENGTH),
    messageId,
    commitment,
    nonce,
  ]);
}

/** Splits an envelope into its parts; any structural problem is AppError('DECRYPT_FAILED'). */
export function parseEnvelope(envelope: Buffer): ParsedEnvelope {
  const reader = createByteReader(envelope);
  try {
    if (!reader.readBytes(ENVELOPE_MAGIC.length).equals(ENVELOPE_MAGIC)) throw failDecrypt('Not a Rampart envelope');
    const formatVersion = reader.readUint8();
    if (formatVersion !== ENVELOPE_FORMAT_VERSION) {
      throw failDecrypt(`Unsupported envelope format version ${formatVersion}`);
    }
    const suiteId = reader.readUint8();
    if (suiteId !== SUITE_AES256_GCM_HKDF_SHA512_COMMIT) throw failDecrypt(`Unsupported envelope suite ${suiteId}`);
    const kekProvider = reader.readShortAscii(MAX_KEK_FIELD_LENGTH);
    const kekId = reader.readShortAscii(MAX_KEK_FIELD_LENGTH);
    const kekVersion = reader.readUint32();
    const dataKeyId = reader.readShortAscii(MAX_DATA_KEY_ID_LENGTH);
    const messageId = reader.readBytes(MESSAGE_ID_LENGTH);
    const commitment = reader.readBytes(COMMITMENT_LENGTH);
    const nonce = reader.readBytes(GCM_NONCE_LENGTH);
    const headerBytes = envelope.subarray(0, reader.offset);
    const ciphertext = reader.readBytes(reader.remaining - GCM_TAG_LENGTH);
    const tag = reader.readBytes(GCM_TAG_LENGTH);
    const header = {
      formatVersion,
      suiteId,
      kekProvider,
      kekId,
      kekVersion,
      dataKeyId,
      messageId: Buffer.from(messageId),
    };
    return { header, headerBytes, commitment, nonce, ciphertext, tag };
  } catch (error) {
    if (error instanceof AppError) throw error;
    throw failDecrypt('Envelope is truncated or malformed');
  }
}

/** uint16 BE length + UTF-8 for table, column, rowId, contactId, in that order. */
export function encodeEnvelopeContext(context: EnvelopeContext): Buffer {
  const { table, column, rowId, contactId } = context;
  // An empty table, column or row id would bind the ciphertext to nothing in particular.
  if (table === '' || column === '' || rowId === '') throw new RangeError('Envelope context needs table, column and rowId');
  return encodeLengthPrefixedStrings([table, column, rowId, contactId]);
}

export function failDecrypt(message: string): AppError {
  return new AppError('DECRYPT_FAILED', message);
}
