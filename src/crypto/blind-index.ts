/**
 * Keyed blind indexes: equality lookups on encrypted columns without decrypting. Each purpose has
 * its own HMAC key derived from the root key, so an index value from one column cannot be matched
 * against another's. Leakage (equality, hence counts and linkage) is written down in README.md.
 */
import { AppError } from '../errors.js';
import { encodeWellFormedUtf8 } from './byte-encoding.js';
import { AES_KEY_LENGTH, hkdfSha256, hmacSha256 } from './primitives.js';

const INDEX_KEY_LENGTH = 32;
const MIN_PHONE_DIGITS = 6;
const MAX_PHONE_DIGITS = 15;
/** Separators people type inside numbers; anything else makes the number invalid. */
const PHONE_SEPARATORS = /[ ()-]/g;

export type BlindIndex = ReturnType<typeof createBlindIndex>;

export function createBlindIndex(rootKey: Buffer) {
  if (rootKey.length !== AES_KEY_LENGTH) throw new RangeError(`Blind index root key must be ${AES_KEY_LENGTH} bytes`);
  const phoneKey = deriveIndexKey(rootKey, 'phone');
  const messageIdKey = deriveIndexKey(rootKey, 'message-id');
  const eventKeyKey = deriveIndexKey(rootKey, 'event-key');
  const userIdKey = deriveIndexKey(rootKey, 'user-id');

  return {
    /** Accepts any notation normalisePhone accepts, including a WhatsApp wa_id ("16315551181"). */
    phone(e164: string): Buffer {
      return hmacSha256(phoneKey, Buffer.from(normalisePhone(e164), 'ascii'));
    },
    /** Exact match on Meta's message id (wamid); no normalisation. */
    messageId(wamid: string): Buffer {
      return hmacSha256(messageIdKey, encodeIdentifier(wamid, 'Message id'));
    },
    /** Exact match on a business-scoped user id ("US.…"), for customers known without a phone number. */
    userId(userId: string): Buffer {
      return hmacSha256(userIdKey, encodeIdentifier(userId, 'User id'));
    },
    /** Idempotency keys and other opaque byte strings. */
    eventKey(bytes: Buffer): Buffer {
      return hmacSha256(eventKeyKey, bytes);
    },
  };
}

/** Identifiers come from webhook JSON, which can carry lone surrogates: a client error, not ours. */
function encodeIdentifier(value: string, label: string): Buffer {
  if (value === '') throw new AppError('INVALID_REQUEST', `${label} is empty`);
  try {
    return encodeWellFormedUtf8(value);
  } catch {
    throw new AppError('INVALID_REQUEST', `${label} is not well-formed Unicode`);
  }
}

function deriveIndexKey(rootKey: Buffer, purpose: string): Buffer {
  // Empty salt is fine: the root key is already uniformly random (RFC 5869, section 3.1).
  return hkdfSha256(rootKey, Buffer.alloc(0), Buffer.from(`rampart/blind-index/v1/${purpose}`, 'ascii'), INDEX_KEY_LENGTH);
}

/**
 * To E.164 "+<digits>". Strips spaces, dashes and parentheses, then a leading "+" or "00". The
 * number must already carry its country code: national forms ("(0)20 …", "631 555 …") cannot be
 * told apart without a numbering-plan library and are not converted.
 */
export function normalisePhone(input: string): string {
  const compact = input.replace(PHONE_SEPARATORS, '');
  const digits = compact.startsWith('+') ? compact.slice(1) : compact.startsWith('00') ? compact.slice(2) : compact;
  // Country codes never start with 0; the message never quotes the input (it is personal data).
  if (!/^[1-9][0-9]*$/.test(digits) || digits.length < MIN_PHONE_DIGITS || digits.length > MAX_PHONE_DIGITS) {
    throw new AppError(
      'INVALID_REQUEST',
      `Phone number must be in international form: an optional "+" or "00", then ${MIN_PHONE_DIGITS} to ` +
        `${MAX_PHONE_DIGITS} digits starting with the country code (spaces, dashes and parentheses allowed)`,
    );
  }
  return `+${digits}`;
}
