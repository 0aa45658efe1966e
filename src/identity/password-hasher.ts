import { randomBytes } from 'node:crypto';
import argon2 from 'argon2';
import { normalisePassword } from './password-policy.js';

/**
 * argon2id with the library's defaults (64 MiB, 3 passes, 4 lanes: above OWASP's minimum), or
 * stronger when given. Hashes older than the current parameters are re-hashed at the next sign-in.
 */
export interface PasswordHashOptions {
  memoryCost?: number;
  timeCost?: number;
  parallelism?: number;
}

export function createPasswordHasher(options: PasswordHashOptions = {}) {
  const hashOptions = { type: argon2.argon2id, ...options } as const;
  let dummyHash: Promise<string> | null = null;

  async function hashPassword(password: string): Promise<string> {
    return argon2.hash(normalisePassword(password), hashOptions);
  }

  /**
   * Verifies against the stored hash, or, when there is none (unknown email, no password yet),
   * against a dummy hash with the same parameters, so the answer takes as long either way.
   */
  async function verifyPassword(storedHash: string | null, password: string): Promise<boolean> {
    dummyHash ??= argon2.hash(randomBytes(32).toString('base64url'), hashOptions);
    const hash = storedHash ?? (await dummyHash);
    const isMatch = await argon2.verify(hash, normalisePassword(password)).catch(() => false);
    return storedHash !== null && isMatch;
  }

  function needsRehash(storedHash: string): boolean {
    return !storedHash.startsWith('$argon2id$') || argon2.needsRehash(storedHash, options);
  }

  return { hashPassword, verifyPassword, needsRehash };
}

export type PasswordHasher = ReturnType<typeof createPasswordHasher>;
