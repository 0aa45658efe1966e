/**
 * The `vault-transit` KMS provider: HashiCorp Vault's Transit engine holds the KEK; Rampart sends a
 * key to `encrypt` and gets it back from `decrypt`, and the KEK never leaves Vault.
 *
 * The wrap context is bound as Vault's key-derivation `context` (a key created with `derived=true`):
 * Vault derives a per-context key, so a wrap opens only with the context it was made for. Vault's
 * `associated_data` would bind it too, but `rewrap` does not accept associated data
 * (hashicorp/vault#29532), and rewrap is how wraps move to a new key version without Rampart seeing
 * the keys. Versions are Vault's: the ciphertext `vault:v<N>:…` names N, stored as kekVersion.
 *
 * Rotation: `createVersion` is Vault's rotate. Vault encrypts with its latest version whoever rotated,
 * so no process ever wraps under an old version and `refresh` only updates `currentVersion()`.
 * `retireVersion(N)` raises min_decryption_version (and min_encryption_version, which trim needs) to
 * N+1 and trims, deleting versions up to N from Vault for good: a raised floor alone can be lowered
 * again by anyone allowed to configure the key. Vault's versions are a floor, so retiring N retires
 * every version below it too; retireVersion therefore refuses N while an older version still decrypts.
 */
import type { Secret } from '../config/secret.js';
import { AppError } from '../errors.js';
import type { KekRotation, KekVersionInfo, KmsProvider, WrapContext, WrappedKey } from './kms.js';
import { AES_KEY_LENGTH } from './primitives.js';
import { createVaultTransitClient, VaultVersionRetiredError } from './vault-transit-client.js';
import type { VaultKeyInfo, VaultTransitClient } from './vault-transit-client.js';
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
  readonly rotation: KekRotation;
}

export async function createVaultTransitKms(options: VaultTransitKmsOptions): Promise<VaultTransitKms> {
  const client = createVaultTransitClient(options);
  const kekId = [options.namespace, options.mountPath, options.keyName].filter((part) => part !== null).join('/');
  const keyPath = `${options.mountPath}/keys/${options.keyName}`;
  const keyInfo = await client.readKey();
  assertUsableKey(keyInfo, keyPath);
  // Vault encrypts with its latest version; each ciphertext tells us when another process rotated.
  let latestVersion = keyInfo.latest_version;
  let isClosed = false;

  function assertOpen(): void {
    if (isClosed) throw new AppError('KMS_UNAVAILABLE', `The Vault transit KMS for ${kekId} has been closed`);
  }

  async function readKeyInfo(): Promise<VaultKeyInfo> {
    assertOpen();
    const info = await client.readKey();
    // Checked again: a key can be made exportable after the gateway started.
    assertUsableKey(info, keyPath);
    latestVersion = info.latest_version;
    return info;
  }

  /** Vault's "too old" names no version; the stored wrap does. */
  async function withRetiredVersionNamed<T>(version: number, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (!(error instanceof VaultVersionRetiredError)) throw error;
      throw new AppError(
        'KMS_UNAVAILABLE',
        `KEK version ${version} of Vault key ${kekId} was retired (the key's min_decryption_version was raised past it): ` +
          'keys wrapped under it can no longer be unwrapped',
        { cause: error },
      );
    }
  }

  const rotation: KekRotation = {
    async createVersion(): Promise<number> {
      assertOpen();
      await client.rotateKey();
      return (await readKeyInfo()).latest_version;
    },
    async listVersions(): Promise<KekVersionInfo[]> {
      return describeVersions(await readKeyInfo());
    },
    async retireVersion(version: number): Promise<void> {
      await retireKeyVersion(client, await readKeyInfo(), version, kekId);
      await readKeyInfo();
    },
  };

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
    async refresh(): Promise<void> {
      await readKeyInfo();
    },
    rotation,
    async wrapKey(key: Buffer, context: WrapContext): Promise<WrappedKey> {
      if (key.length !== AES_KEY_LENGTH) throw new RangeError(`Only ${AES_KEY_LENGTH}-byte keys are wrapped`);
      assertWrapContext(context);
      assertOpen();
      return toWrappedKey(await client.encrypt(key, derivationContext(context)));
    },
    async unwrapKey(wrapped: WrappedKey, context: WrapContext): Promise<Buffer> {
      assertOpen();
      const ciphertext = readStoredCiphertext(wrapped);
      const key = await withRetiredVersionNamed(wrapped.kekVersion, () => client.decrypt(ciphertext, derivationContext(context)));
      if (key.length !== AES_KEY_LENGTH) {
        key.fill(0);
        throw new AppError('DECRYPT_FAILED', `Vault unwrapped ${kekId} to something other than a ${AES_KEY_LENGTH}-byte key`);
      }
      return key;
    },
    async rewrapKey(wrapped: WrappedKey, context: WrapContext): Promise<WrappedKey> {
      assertOpen();
      const ciphertext = readStoredCiphertext(wrapped);
      return toWrappedKey(await withRetiredVersionNamed(wrapped.kekVersion, () => client.rewrap(ciphertext, derivationContext(context))));
    },
    async close(): Promise<void> {
      isClosed = true;
    },
  };
}

/** Versions 1 to latest, oldest first; those below min_decryption_version are retired (Vault lists no date for them). */
function describeVersions(info: VaultKeyInfo): KekVersionInfo[] {
  const floor = Math.max(info.min_decryption_version, 1);
  return Array.from({ length: info.latest_version }, (_, index) => {
    const version = index + 1;
    const createdAt = info.keys[String(version)];
    return {
      version,
      state: version < floor ? 'retired' : 'active',
      createdAt: typeof createdAt === 'number' && createdAt > 0 ? new Date(createdAt * 1000).toISOString() : null,
    };
  });
}

/**
 * Retires `version` and, with it, everything below (Vault's versions are a floor): raises
 * min_decryption_version past it, then trims so the key material is gone. Safe to run again after a
 * crash between the two calls. Refuses the latest version, and a version with older ones still active.
 */
async function retireKeyVersion(client: VaultTransitClient, info: VaultKeyInfo, version: number, kekId: string): Promise<void> {
  const latest = info.latest_version;
  if (!Number.isInteger(version) || version < 1 || version > latest) {
    throw new AppError('KMS_UNAVAILABLE', `Vault key ${kekId} has no version ${version} (the latest is ${latest})`);
  }
  if (version === latest) throw new AppError('KMS_UNAVAILABLE', `Version ${version} is the current version of Vault key ${kekId}; rotate first, then retire it`);
  const floor = Math.max(info.min_decryption_version, 1);
  if (version > floor) {
    throw new AppError(
      'KMS_UNAVAILABLE',
      `Vault retires key versions only from the oldest up (min_decryption_version is a floor): retiring version ${version} of ${kekId} ` +
        `would also retire ${floor === version - 1 ? `version ${floor}` : `versions ${floor} to ${version - 1}`}, which still decrypt; retire ${floor === version - 1 ? 'it' : 'them'} first`,
    );
  }
  const target = version + 1;
  const minDecryption = Math.max(floor, target);
  // Vault trims only once min_encryption_version is set, and wants it at or above min_decryption_version.
  const minEncryption = Math.max(info.min_encryption_version, minDecryption);
  if (info.min_decryption_version < minDecryption || info.min_encryption_version < minEncryption) {
    await client.configureKey({ min_decryption_version: minDecryption, min_encryption_version: minEncryption });
  }
  // A raised floor can be lowered again by whoever may configure the key; trimming deletes the versions.
  if (info.min_available_version < target) await client.trimKey(target);
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
