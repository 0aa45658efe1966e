import { createHash, createHmac, randomBytes } from 'node:crypto';
import { equalsConstantTime } from '../crypto/primitives.js';

/** 256 random bits, base64url: session tokens, setup links. */
export function generateToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Tokens are random 256-bit values, so a fast hash suffices: what is stored cannot be turned back into a token. */
export function hashToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

const CSRF_LABEL = 'rampart csrf v1';

/**
 * The CSRF token is derived from the session token (HMAC keyed by it), so it is tied to that
 * session, changes when the token rotates, and cannot be computed without the HttpOnly cookie.
 */
export function deriveCsrfToken(sessionToken: string): string {
  return createHmac('sha256', Buffer.from(sessionToken, 'utf8')).update(CSRF_LABEL).digest('base64url');
}

export function isCsrfTokenValid(sessionToken: string, presented: string | undefined): boolean {
  if (presented === undefined || presented.length === 0 || presented.length > 100) return false;
  return equalsConstantTime(Buffer.from(deriveCsrfToken(sessionToken), 'utf8'), Buffer.from(presented, 'utf8'));
}

/** Emails are login names: compared and stored trimmed, NFC-normalised and in lower case. */
export function normaliseEmail(email: string): string {
  return email.trim().normalize('NFC').toLowerCase();
}
