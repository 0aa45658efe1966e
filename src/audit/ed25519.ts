/**
 * Ed25519 (RFC 8032) through node:crypto, for checkpoint signatures. OpenSSL does the arithmetic;
 * this module only moves raw 32-byte keys in and out of KeyObjects and checks sizes first.
 * `verifyEd25519Signature` is the single verify function checkpoints use, and the one the
 * Wycheproof vectors run through.
 */
import type { KeyObject } from 'node:crypto';
import { createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';

export const ED25519_SEED_LENGTH = 32;
export const ED25519_PUBLIC_KEY_LENGTH = 32;
export const ED25519_SIGNATURE_LENGTH = 64;

// DER wrappers for raw keys (RFC 8410): Node 20 has no raw import, and these prefixes are fixed.
const PKCS8_SEED_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_KEY_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/** A private KeyObject from the 32-byte RFC 8032 seed. */
export function createEd25519PrivateKey(seed: Uint8Array): KeyObject {
  if (seed.length !== ED25519_SEED_LENGTH) throw new RangeError(`Ed25519 seed must be ${ED25519_SEED_LENGTH} bytes`);
  return createPrivateKey({ key: Buffer.concat([PKCS8_SEED_PREFIX, seed]), format: 'der', type: 'pkcs8' });
}

/** The raw 32-byte public key of an Ed25519 private or public KeyObject. */
export function readEd25519PublicKey(key: KeyObject): Buffer {
  assertEd25519Key(key);
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  const spki = publicKey.export({ format: 'der', type: 'spki' });
  if (spki.length !== SPKI_KEY_PREFIX.length + ED25519_PUBLIC_KEY_LENGTH || !spki.subarray(0, SPKI_KEY_PREFIX.length).equals(SPKI_KEY_PREFIX)) {
    throw new RangeError('unexpected Ed25519 public key encoding');
  }
  return Buffer.from(spki.subarray(SPKI_KEY_PREFIX.length));
}

export function signEd25519(privateKey: KeyObject, message: Uint8Array): Buffer {
  assertEd25519Key(privateKey);
  if (privateKey.type !== 'private') throw new TypeError('signing needs an Ed25519 private key');
  return sign(null, message, privateKey);
}

/**
 * True only for a valid RFC 8032 signature by this raw public key. Wrong sizes and keys OpenSSL
 * cannot load are a plain false: callers treat every failure the same way.
 */
export function verifyEd25519Signature(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (publicKey.length !== ED25519_PUBLIC_KEY_LENGTH || signature.length !== ED25519_SIGNATURE_LENGTH) return false;
  try {
    const key = createPublicKey({ key: Buffer.concat([SPKI_KEY_PREFIX, publicKey]), format: 'der', type: 'spki' });
    return verify(null, message, key, signature);
  } catch {
    return false;
  }
}

function assertEd25519Key(key: KeyObject): void {
  if (key.asymmetricKeyType !== 'ed25519') throw new TypeError('expected an Ed25519 key');
}
