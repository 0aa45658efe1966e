import { equalsConstantTime, hmacSha256 } from '../crypto/primitives.js';

export type SignatureVerdict = 'valid' | 'missing' | 'malformed' | 'mismatch';

const SIGNATURE_FORMAT = /^sha256=([0-9a-fA-F]{64})$/;

/**
 * Checks `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body>` in constant time.
 * Meta signs the bytes it sends (non-ASCII escaped as \uXXXX), so this must see the raw bytes,
 * never re-serialised JSON. The expected value is never returned or logged.
 */
export function verifyWebhookSignature(appSecret: Buffer, rawBody: Buffer, header: string | string[] | undefined): SignatureVerdict {
  if (header === undefined || header === '') return 'missing';
  if (Array.isArray(header)) return 'malformed';
  const match = SIGNATURE_FORMAT.exec(header.trim());
  if (!match) return 'malformed';
  const given = Buffer.from(match[1]!, 'hex');
  return equalsConstantTime(hmacSha256(appSecret, rawBody), given) ? 'valid' : 'mismatch';
}

/** Meta's signature header for a body; used by the sandbox emulator, tests and benchmarks. */
export function signWebhookBody(appSecret: Buffer | string, rawBody: Buffer | string): string {
  const key = typeof appSecret === 'string' ? Buffer.from(appSecret, 'utf8') : appSecret;
  const body = typeof rawBody === 'string' ? Buffer.from(rawBody, 'utf8') : rawBody;
  return `sha256=${hmacSha256(key, body).toString('hex')}`;
}
