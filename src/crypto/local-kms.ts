/**
 * The `local` KMS provider: KEKs live in a keyring file sealed by RAMPART_MASTER_KEY. The master key
 * is used once, to open (or create) the keyring, and is not kept.
 *
 * A wrapped key is nonce ‖ AES-256-GCM ciphertext ‖ tag under one KEK version, with AAD binding the
 * provider, kekId, kekVersion and the WrapContext, so it unwraps only for the key it was made for.
 */
import { systemClock } from '../clock.js';
import type { Clock } from '../clock.js';
import { AppError } from '../errors.js';
import { openOrCreateKeyring, wipeKeyring } from './keyring-file.js';
import type { KekVersion, Keyring } from './keyring-file.js';
import type { KmsProvider, WrapContext, WrappedKey } from './kms.js';
import {
  AES_KEY_LENGTH,
  decryptAesGcm,
  encryptAesGcm,
  GCM_NONCE_LENGTH,
  GCM_TAG_LENGTH,
  randomBytes,
} from './primitives.js';
import { assertWrappedByThisKek, encodeWrapContext } from './wrap-context.js';

export { parseMasterKey } from './master-key.js';

export const LOCAL_KMS_PROVIDER = 'local';
const WRAP_DOMAIN = 'rampart/local-kms/wrap/v1';

export interface LocalKmsOptions {
  keyringPath: string;
  /** 32 bytes, from parseMasterKey. */
  masterKey: Buffer;
  /** Stamps createdAt on new KEK versions. */
  clock?: Clock;
}

export async function createLocalKms(options: LocalKmsOptions): Promise<KmsProvider> {
  const { keyringPath, masterKey, clock = systemClock } = options;
  if (masterKey.length !== AES_KEY_LENGTH) {
    throw new AppError('CONFIG_INVALID', 'RAMPART_MASTER_KEY must be 32 bytes; generate one with `openssl rand -base64 32`');
  }
  const keyring = await openOrCreateKeyring(keyringPath, masterKey, clock);
  let isClosed = false;

  function assertOpen(): void {
    if (isClosed) throw new AppError('KMS_UNAVAILABLE', 'The local KMS has been closed');
  }

  function findKekVersion(version: number): KekVersion {
    assertOpen();
    const found = keyring.versions.find((entry) => entry.version === version);
    if (!found) {
      throw new AppError(
        'KMS_UNAVAILABLE',
        `KEK version ${version} is not in keyring ${keyring.kekId} at ${keyringPath}; ` +
          'the keyring file may have been replaced by an older copy',
      );
    }
    return found;
  }

  return {
    provider: LOCAL_KMS_PROVIDER,
    kekId: keyring.kekId,
    currentVersion(): number {
      assertOpen();
      return findCurrentVersion(keyring);
    },
    async wrapKey(key: Buffer, context: WrapContext): Promise<WrappedKey> {
      if (key.length !== AES_KEY_LENGTH) throw new RangeError(`Only ${AES_KEY_LENGTH}-byte keys are wrapped`);
      assertOpen();
      const kekVersion = findKekVersion(findCurrentVersion(keyring));
      const nonce = randomBytes(GCM_NONCE_LENGTH);
      const aad = encodeWrapAad(keyring.kekId, kekVersion.version, context);
      const { ciphertext, tag } = encryptAesGcm(kekVersion.key, nonce, key, aad);
      return {
        provider: LOCAL_KMS_PROVIDER,
        kekId: keyring.kekId,
        kekVersion: kekVersion.version,
        ciphertext: Buffer.concat([nonce, ciphertext, tag]),
      };
    },
    async unwrapKey(wrapped: WrappedKey, context: WrapContext): Promise<Buffer> {
      assertWrappedByThisKek(wrapped, { provider: LOCAL_KMS_PROVIDER, kekId: keyring.kekId });
      const kekVersion = findKekVersion(wrapped.kekVersion);
      if (wrapped.ciphertext.length <= GCM_NONCE_LENGTH + GCM_TAG_LENGTH) {
        throw new AppError('DECRYPT_FAILED', 'Wrapped key is truncated');
      }
      const nonce = wrapped.ciphertext.subarray(0, GCM_NONCE_LENGTH);
      const ciphertext = wrapped.ciphertext.subarray(GCM_NONCE_LENGTH, -GCM_TAG_LENGTH);
      const tag = wrapped.ciphertext.subarray(-GCM_TAG_LENGTH);
      const aad = encodeWrapAad(keyring.kekId, kekVersion.version, context);
      try {
        return decryptAesGcm(kekVersion.key, nonce, ciphertext, tag, aad);
      } catch {
        throw new AppError('DECRYPT_FAILED', 'Wrapped key failed authentication: wrong key context, or tampered');
      }
    },
    async close(): Promise<void> {
      isClosed = true;
      wipeKeyring(keyring);
    },
  };
}

/** The highest active version: rotation appends a version and retires older ones. */
function findCurrentVersion(keyring: Keyring): number {
  const active = keyring.versions.filter((entry) => entry.state === 'active').map((entry) => entry.version);
  if (active.length === 0) throw new AppError('KMS_UNAVAILABLE', `Keyring ${keyring.kekId} has no active KEK version`);
  return Math.max(...active);
}

function encodeWrapAad(kekId: string, kekVersion: number, context: WrapContext): Buffer {
  return encodeWrapContext({ domain: WRAP_DOMAIN, provider: LOCAL_KMS_PROVIDER, kekId, kekVersion }, context);
}
