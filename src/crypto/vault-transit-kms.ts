/**
 * The `vault-transit` KMS provider: HashiCorp Vault's Transit engine holds the KEK; Rampart sends a
 * key to `encrypt` and gets it back from `decrypt`, and the KEK never leaves Vault.
 *
 * The wrap context is bound as Vault's key-derivation `context` (a key created with `derived=true`):
 * Vault derives a per-context key, so a wrap opens only with the context it was made for. Vault's
 * `associated_data` would bind it too, but `rewrap` does not accept associated data
 * (hashicorp/vault#29532), and rewrap is how wraps move to a new key version without Rampart seeing
 * the keys. Versions are Vault's: the ciphertext `vault:v<N>:…` names N, stored as kekVersion.
 */
import type { Secret } from '../config/secret.js';
import { AppError } from '../errors.js';
import type { KmsProvider, WrapContext, WrappedKey } from './kms.js';
import { AES_KEY_LENGTH } from './primitives.js';
import { createVaultTransitClient } from './vault-transit-client.js';
import type { VaultKeyInfo } from './vault-transit-client.js';
import { assertWrapContext, assertWrappedByThisKek, encodeWrapContext } from './wrap-context.js';

export const VAULT_TRANSIT_KMS_PROVIDER = 'vault-transit';
const WRAP_DOMAIN = 'rampart/vault-transit/wrap/v1';
/** Symmetric AEAD key types; the others cannot encrypt, or not authenticated. */
const AEAD_KEY_TYPES: ReadonlySet<string> = new Set(['aes256-gcm96', 'aes128-gcm96', 'chacha20-poly1305']);
const VAULT_CIPHERTEXT = /^vault:v([1-9][0-9]{0,9}):[A-Za-z0-9+/]+={0,2}$/;

export interface VaultTransitKmsOptions {
  address: string;
  mountPath: string;
  keyName: string;
  token: Secret;
  namespace: string | null;
  timeoutMs?: number;
}

export interface VaultTransitKms extends KmsProvider {
  /** Moves a wrap to Vault's newest key version inside Vault (`rewrap`); the key never reaches Rampart. */
  rewrapKey(wrapped: WrappedKey, context: WrapContext): Promise<WrappedKey>;
}

export async function createVaultTransitKms(options: VaultTransitKmsOptions): Promise<VaultTransitKms> {
  const client = createVaultTransitClient(options);
  const kekId = [options.namespace, options.mountPath, options.keyName].filter((part) => part !== null).join('/');
  const keyInfo = await client.readKey();
  assertUsableKey(keyInfo, `${options.mountPath}/keys/${options.keyName}`);
  // Vault encrypts with its latest version; each ciphertext tells us when another process rotated.
  let latestVersion = keyInfo.latest_version;
  let isClosed = false;

  function assertOpen(): void {
    if (isClosed) throw new AppError('KMS_UNAVAILABLE', `The Vault transit KMS for ${kekId} has been closed`);
  }

  function derivationContext(context: WrapContext): Buffer {
    // No version bound: Vault picks it at encrypt time, and rewrap changes it under the same context.
    return encodeWrapContext({ domain: WRAP_DOMAIN, provider: VAULT_TRANSIT_KMS_PROVIDER, kekId, kekVersion: null }, context);
  }

  function toWrappedKey(ciphertext: string): WrappedKey {
    const version = readCiphertextVersion(ciphertext);
    if (version === null) throw new AppError('KMS_UNAVAILABLE', `Vault's ciphertext for ${kekId} is not in its vault:v<N>: form`);
    latestVersion = Math.max(latestVersion, version);
    return { provider: VAULT_TRANSIT_KMS_PROVIDER, kekId, kekVersion: version, ciphertext: Buffer.from(ciphertext, 'ascii') };
  }

  /** The stored ciphertext, checked against its row's metadata before Vault sees it. */
  function readStoredCiphertext(wrapped: WrappedKey): string {
    assertWrappedByThisKek(wrapped, { provider: VAULT_TRANSIT_KMS_PROVIDER, kekId });
    const ciphertext = wrapped.ciphertext.toString('latin1');
    if (readCiphertextVersion(ciphertext) !== wrapped.kekVersion) {
      throw new AppError('DECRYPT_FAILED', 'Wrapped key is malformed: not a Vault ciphertext of the recorded key version');
    }
    return ciphertext;
  }

  return {
    provider: VAULT_TRANSIT_KMS_PROVIDER,
    kekId,
    currentVersion(): number {
      assertOpen();
      return latestVersion;
    },
    async wrapKey(key: Buffer, context: WrapContext): Promise<WrappedKey> {
      if (key.length !== AES_KEY_LENGTH) throw new RangeError(`Only ${AES_KEY_LENGTH}-byte keys are wrapped`);
      assertWrapContext(context);
      assertOpen();
      return toWrappedKey(await client.encrypt(key, derivationContext(context)));
    },
    async unwrapKey(wrapped: WrappedKey, context: WrapContext): Promise<Buffer> {
      assertOpen();
      const key = await client.decrypt(readStoredCiphertext(wrapped), derivationContext(context));
      if (key.length !== AES_KEY_LENGTH) {
        key.fill(0);
        throw new AppError('DECRYPT_FAILED', `Vault unwrapped ${kekId} to something other than a ${AES_KEY_LENGTH}-byte key`);
      }
      return key;
    },
    async rewrapKey(wrapped: WrappedKey, context: WrapContext): Promise<WrappedKey> {
      assertOpen();
      return toWrappedKey(await client.rewrap(readStoredCiphertext(wrapped), derivationContext(context)));
    },
    async close(): Promise<void> {
      isClosed = true;
    },
  };
}

function readCiphertextVersion(ciphertext: string): number | null {
  const match = VAULT_CIPHERTEXT.exec(ciphertext);
  return match ? Number(match[1]) : null;
}

/** Refuses keys that would not bind the context (a non-derived key ignores `context` silently) or that could leave Vault. */
function assertUsableKey(key: VaultKeyInfo, keyPath: string): void {
  const create = `create one with \`vault write -f ${keyPath} type=aes256-gcm96 derived=true\``;
  if (!AEAD_KEY_TYPES.has(key.type) || !key.supports_encryption || !key.supports_decryption) {
    throw new AppError('KMS_UNAVAILABLE', `Vault key ${keyPath} is of type ${key.type.replace(/[^\w-]/g, '')}, not a symmetric AEAD key; ${create}`);
  }
  if (!key.derived) {
    throw new AppError(
      'KMS_UNAVAILABLE',
      `Vault key ${keyPath} was not created with derived=true, so Vault would ignore the key context Rampart binds into each wrap; ${create}`,
    );
  }
  if (key.exportable || key.allow_plaintext_backup) {
    throw new AppError(
      'KMS_UNAVAILABLE',
      `Vault key ${keyPath} can leave Vault (exportable or allow_plaintext_backup is set), so Rampart will not use it as a key-encryption key; ${create}`,
    );
  }
}
