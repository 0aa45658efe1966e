import { describe, expect, it } from 'vitest';
import { parseMasterKey } from './local-kms.js';
import { randomBytes } from './primitives.js';

describe('parseMasterKey', () => {
  const key = randomBytes(32);

  it('accepts 32 bytes as standard or URL-safe base64, padded or not, or as hex', () => {
    const standard = key.toString('base64');
    const urlSafe = key.toString('base64url');
    for (const text of [standard, standard.replace(/=+$/, ''), urlSafe, `${urlSafe}=`, key.toString('hex')]) {
      expect(parseMasterKey(text)).toEqual(key);
    }
    expect(parseMasterKey(key.toString('hex').toUpperCase())).toEqual(key);
    expect(parseMasterKey(`  ${standard}\n`)).toEqual(key);
  });

  it('rejects 31 and 33 bytes, saying what is expected and how to generate a key', () => {
    for (const length of [31, 33]) {
      for (const text of [randomBytes(length).toString('base64'), randomBytes(length).toString('hex')]) {
        expect(() => parseMasterKey(text)).toThrow(
          expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringContaining('openssl rand -base64 32') }),
        );
      }
    }
  });

  it('rejects garbage, mixed alphabets, bad padding and non-canonical base64 without echoing the value', () => {
    const standard = key.toString('base64');
    // 43 characters carry 258 bits; setting one of the 2 spare bits decodes to the same 32 bytes.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
    const stray = alphabet[alphabet.indexOf(standard.at(-2) ?? 'A') + 1] ?? 'B';
    const inputs = [
      '',
      'not a key at all!',
      'changeme',
      `${'A'.repeat(20)}+_${'A'.repeat(21)}=`,
      `${standard.replace(/=+$/, '')}==`,
      `${standard.slice(0, 42)}${stray}=`,
      `${key.toString('hex').slice(0, 63)}g`,
    ];
    for (const text of inputs) {
      let message = '';
      try {
        parseMasterKey(text);
      } catch (error) {
        expect(error).toMatchObject({ code: 'CONFIG_INVALID' });
        message = error instanceof Error ? error.message : '';
      }
      expect(message, JSON.stringify(text)).not.toBe('');
      if (text.length > 3) expect(message).not.toContain(text);
    }
  });
});
