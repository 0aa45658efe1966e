/** Parsing RAMPART_MASTER_KEY. Error messages describe the expected form and never quote the value. */
import { AppError } from '../errors.js';
import { AES_KEY_LENGTH } from './primitives.js';

const EXPECTED_FORM =
  'RAMPART_MASTER_KEY must be 32 random bytes written as base64 (44 characters, or 43 without padding) ' +
  'or as 64 hex characters; generate one with `openssl rand -base64 32`';

const HEX_KEY = /^[0-9a-fA-F]{64}$/;
const STANDARD_BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const URL_SAFE_BASE64 = /^[A-Za-z0-9_-]+={0,2}$/;

/** Accepts hex or base64 (standard or URL-safe, padded or not); surrounding whitespace is ignored. */
export function parseMasterKey(text: string): Buffer {
  const trimmed = text.trim();
  if (HEX_KEY.test(trimmed)) return Buffer.from(trimmed, 'hex');
  if (!STANDARD_BASE64.test(trimmed) && !URL_SAFE_BASE64.test(trimmed)) {
    throw new AppError('CONFIG_INVALID', `${EXPECTED_FORM}. The value given is neither base64 nor hex.`);
  }
  const unpadded = trimmed.replace(/=+$/, '');
  const key = Buffer.from(unpadded, 'base64');
  if (key.length !== AES_KEY_LENGTH) {
    throw new AppError('CONFIG_INVALID', `${EXPECTED_FORM}. The value given decodes to ${key.length} bytes.`);
  }
  // Node's decoder ignores stray bits in the last character; insisting on the canonical text gives
  // one key one spelling and catches some truncated or mistyped values.
  if (key.toString('base64url') !== unpadded.replace(/\+/g, '-').replace(/\//g, '_')) {
    throw new AppError('CONFIG_INVALID', `${EXPECTED_FORM}. The value given is not canonical base64.`);
  }
  const isPadded = trimmed.length > unpadded.length;
  if (isPadded && trimmed.length % 4 !== 0) {
    throw new AppError('CONFIG_INVALID', `${EXPECTED_FORM}. The value given has wrong base64 padding.`);
  }
  return key;
}
