import { AppError } from '../errors.js';
import { commonPasswords } from './common-passwords.js';

export const MIN_PASSWORD_LENGTH = 12;
/** argon2 hashes anything, but a megabyte "password" is a way to burn our CPU, not a password. */
export const MAX_PASSWORD_LENGTH = 256;

/**
 * NIST SP 800-63B: length and a blocklist, no composition rules. Passwords are NFKC-normalised
 * first, so the same characters typed on another keyboard still match.
 */
export function normalisePassword(password: string): string {
  return password.normalize('NFKC');
}

/** Throws PASSWORD_REJECTED naming the rule; never echoes the password. */
export function assertAcceptablePassword(password: string, context: { email?: string } = {}): void {
  const normalised = normalisePassword(password);
  const length = [...normalised].length;
  if (length < MIN_PASSWORD_LENGTH) throw new AppError('PASSWORD_REJECTED', `Use at least ${MIN_PASSWORD_LENGTH} characters; a few unrelated words make a good password.`);
  if (length > MAX_PASSWORD_LENGTH) throw new AppError('PASSWORD_REJECTED', `Use at most ${MAX_PASSWORD_LENGTH} characters.`);
  const folded = normalised.toLowerCase();
  if (commonPasswords.has(folded) || isSingleRepeatedUnit(folded)) {
    throw new AppError('PASSWORD_REJECTED', 'That password is among the most commonly used ones; choose another.');
  }
  const email = context.email?.toLowerCase() ?? '';
  const localPart = email.split('@')[0] ?? '';
  // The address, or its name with a few characters added ("jane.doe2024!"), is the first guess.
  const isBuiltFromEmail = email !== '' && (folded === email || (localPart.length >= 4 && folded.startsWith(localPart) && folded.length - localPart.length < 6));
  if (isBuiltFromEmail) throw new AppError('PASSWORD_REJECTED', 'The password must not be built from your email address.');
}

/** "abcabcabcabc", "111111111111": one short unit repeated. */
function isSingleRepeatedUnit(text: string): boolean {
  for (let unit = 1; unit <= 4; unit += 1) {
    if (text.length % unit === 0 && text === text.slice(0, unit).repeat(text.length / unit)) return true;
  }
  return false;
}
