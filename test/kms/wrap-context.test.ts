import { describe, expect, it } from 'vitest';
import type { WrapContext, WrappedKey } from '../../src/crypto/kms.js';
import { assertWrappedByThisKek, encodeWrapContext } from '../../src/crypto/wrap-context.js';

const context: WrapContext = { purpose: 'data-key', keyId: 'dk-1', contactId: 'contact-1' };

/** uint16 BE length + UTF-8, written out by hand so the test does not trust the encoder it checks. */
function lengthPrefixed(...values: string[]): Buffer {
  return Buffer.concat(values.flatMap((value) => {
    const bytes = Buffer.from(value, 'utf8');
    const length = Buffer.alloc(2);
    length.writeUInt16BE(bytes.length);
    return [length, bytes];
  }));
}

describe('canonical wrap context', () => {
  it('keeps the local provider AAD byte for byte as documented, so existing keyrings still unwrap', () => {
    const version = Buffer.alloc(4);
    version.writeUInt32BE(3);
    const expected = Buffer.concat([lengthPrefixed('rampart/local-kms/wrap/v1', 'local', 'kr_0123'), version, lengthPrefixed('data-key', 'dk-1', 'contact-1')]);
    const encoded = encodeWrapContext({ domain: 'rampart/local-kms/wrap/v1', provider: 'local', kekId: 'kr_0123', kekVersion: 3 }, context);
    expect(encoded.equals(expected)).toBe(true);
  });

  it('leaves the version out only where the KMS picks it, and never lets two bindings share bytes', () => {
    const withVersion = encodeWrapContext({ domain: 'd', provider: 'p', kekId: 'k', kekVersion: 1 }, context);
    const withoutVersion = encodeWrapContext({ domain: 'd', provider: 'p', kekId: 'k', kekVersion: null }, context);
    expect(withVersion.length - withoutVersion.length).toBe(4);
    const shifted = encodeWrapContext({ domain: 'd', provider: 'p', kekId: 'k', kekVersion: null }, { ...context, keyId: 'dk-1contact-1', contactId: '' });
    expect(shifted.equals(withoutVersion)).toBe(false);
  });

  it('refuses an unknown purpose or an empty key id (a caller bug)', () => {
    const binding = { domain: 'd', provider: 'p', kekId: 'k', kekVersion: 1 };
    expect(() => encodeWrapContext(binding, { ...context, purpose: 'other' as WrapContext['purpose'] })).toThrow(RangeError);
    expect(() => encodeWrapContext(binding, { ...context, keyId: '' })).toThrow(RangeError);
  });
});

describe('wraps made by another provider or KEK', () => {
  const wrapped: WrappedKey = { provider: 'vault-transit', kekId: 'transit/rampart-kek', kekVersion: 1, ciphertext: Buffer.alloc(8) };

  it('names the provider that wrapped the key and the one configured', () => {
    expect(() => assertWrappedByThisKek(wrapped, { provider: 'local', kekId: 'kr_1' })).toThrow(
      expect.objectContaining({
        code: 'KMS_UNAVAILABLE',
        message: expect.stringMatching(/wrapped by the "vault-transit" KMS provider, but RAMPART_KMS selects the "local" provider\. Rampart does not move keys between providers/),
      }),
    );
  });

  it('does not echo stored names that are not known providers or plain identifiers', () => {
    const odd = { ...wrapped, provider: 'evil\nprovider' };
    expect(() => assertWrappedByThisKek(odd, { provider: 'local', kekId: 'kr_1' })).toThrow(expect.objectContaining({ message: expect.not.stringContaining('evil') }));
    const oddKek = { ...wrapped, kekId: 'line\nbreak <script>' };
    expect(() => assertWrappedByThisKek(oddKek, { provider: 'vault-transit', kekId: 'transit/rampart-kek' })).toThrow(
      expect.objectContaining({ message: expect.stringMatching(/^This key was wrapped under another KEK of the "vault-transit" provider/) }),
    );
  });

  it('accepts its own wraps', () => {
    expect(() => assertWrappedByThisKek(wrapped, { provider: 'vault-transit', kekId: 'transit/rampart-kek' })).not.toThrow();
  });
});
