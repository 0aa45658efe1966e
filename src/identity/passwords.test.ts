import { describe, expect, it } from 'vitest';
import { createPasswordHasher } from './password-hasher.js';
import { assertAcceptablePassword } from './password-policy.js';

describe('password policy', () => {
  it.each([
    ['eleven char', /at least 12/],
    ['password1234', /commonly used/],
    ['PASSWORD1234', /commonly used/],
    ['abcabcabcabc', /commonly used/],
    ['x'.repeat(257), /at most 256/],
  ])('refuses %s without echoing it', (password, reason) => {
    expect(() => assertAcceptablePassword(password)).toThrow(reason);
    try {
      assertAcceptablePassword(password);
    } catch (error) {
      expect((error as Error).message).not.toContain(password.slice(0, 11));
    }
  });

  it('refuses a password built from the email address', () => {
    expect(() => assertAcceptablePassword('jane.doe@example.com', { email: 'jane.doe@example.com' })).toThrow(/email/);
    expect(() => assertAcceptablePassword('jane.doe2024!', { email: 'jane.doe@example.com' })).toThrow(/email/);
  });

  it('accepts a long passphrase of any characters, with no composition rules', () => {
    for (const password of ['correct horse battery', 'all lower case words here', 'ümlaut ünd émoji 🐙🐙']) expect(() => assertAcceptablePassword(password)).not.toThrow();
  });
});

describe('password hashing', () => {
  it('uses argon2id with at least the library defaults (64 MiB, 3 passes) and verifies NFKC-equal input', async () => {
    const hasher = createPasswordHasher();
    const hash = await hasher.hashPassword('ﬁne passphrase here');
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=65536,p=4,t=3\$/);
    expect(await hasher.verifyPassword(hash, 'fine passphrase here')).toBe(true);
    expect(await hasher.verifyPassword(hash, 'fine passphrase herE')).toBe(false);
    expect(hasher.needsRehash(hash)).toBe(false);
    expect(createPasswordHasher({ memoryCost: 131_072 }).needsRehash(hash)).toBe(true);
  });

  it('answers false for a missing hash after doing the same work', async () => {
    const hasher = createPasswordHasher({ memoryCost: 8_192, timeCost: 2, parallelism: 1 });
    expect(await hasher.verifyPassword(null, 'anything at all')).toBe(false);
  });
});
