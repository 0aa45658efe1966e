import { Secret } from '../config/secret.js';
import { AppError } from '../errors.js';
import { randomBytes } from '../crypto/primitives.js';

/** The Standard Webhooks spelling of a symmetric signing secret: `whsec_<base64 of the key>`. */
export const WEBHOOK_SECRET_PREFIX = 'whsec_';
export const GENERATED_SECRET_BYTES = 32;
export const MIN_SECRET_BYTES = 24;
export const MAX_SECRET_BYTES = 64;

// Canonical, padded standard base64 only: receivers' libraries differ on URL-safe or unpadded input.
const canonicalBase64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** A fresh endpoint secret from the CSPRNG, to hand to the receiving service once. */
export function generateWebhookSecret(): Secret {
  return new Secret(`${WEBHOOK_SECRET_PREFIX}${randomBytes(GENERATED_SECRET_BYTES).toString('base64')}`);
}

/**
 * The HMAC key inside a `whsec_` secret. Throws AppError('CONFIG_INVALID') saying what is wrong
 * with it; the message never quotes the secret, so callers may prefix it with a setting name.
 */
export function parseWebhookSecret(secret: Secret): Buffer {
  const problem = describeWebhookSecretProblem(secret.reveal());
  if (problem !== null) throw new AppError('CONFIG_INVALID', `webhook secret ${problem}`);
  return Buffer.from(secret.reveal().slice(WEBHOOK_SECRET_PREFIX.length), 'base64');
}

/** What is wrong with a candidate secret, in words that never include it; null when it is valid. */
export function describeWebhookSecretProblem(text: string): string | null {
  if (!text.startsWith(WEBHOOK_SECRET_PREFIX)) return `must start with ${WEBHOOK_SECRET_PREFIX}`;
  const encoded = text.slice(WEBHOOK_SECRET_PREFIX.length);
  if (encoded.length === 0 || !canonicalBase64.test(encoded)) {
    return `must be ${WEBHOOK_SECRET_PREFIX} followed by standard padded base64`;
  }
  const key = Buffer.from(encoded, 'base64');
  // Buffer ignores stray low bits in the last character; re-encoding catches a mistyped ending.
  if (key.toString('base64') !== encoded) return 'is not canonical base64 (check its last characters)';
  if (key.length < MIN_SECRET_BYTES || key.length > MAX_SECRET_BYTES) {
    return `decodes to ${key.length} bytes; ${MIN_SECRET_BYTES}–${MAX_SECRET_BYTES} are required (generate ${GENERATED_SECRET_BYTES})`;
  }
  return null;
}
