/**
 * The `local` KMS provider: KEKs live in a keyring file sealed by RAMPART_MASTER_KEY. The master key
 * opens (or creates) the keyring and re-reads it when another process (`rampart keys rotate` or
 * `retire`) rewrote it; it never leaves this closure and is wiped on close.
 *
 * A wrapped key is nonce ‖ AES-256-GCM ciphertext ‖ tag under one KEK version, with AAD binding the
 * provider, kekId, kekVersion and the WrapContext, so it unwraps only for the key it was made for.
 */
import { stat } from 'node:fs/promises';
import { systemClock } from '../clock.js';
import type { Clock } from '../clock.js';
import { AppError } from '../errors.js';
import { openOrCreateKeyring, readKeyring, wipeKeyring, withKeyringLock, writeKeyring } from './keyring-file.js';
import type { ActiveKekVersion, Keyring } from './keyring-file.js';
import type { KekRotation, KekVersionInfo, KmsProvider, WrapContext, WrappedKey } from './kms.js';
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
const DEFAULT_REFRESH_INTERVAL_MS = 5_000;

export interface LocalKmsOptions {
  keyringPath: string;
  /** 32 bytes, from parseMasterKey. */
  masterKey: Buffer;
  /** Stamps createdAt on new KEK versions and paces the keyring re-reads. */
  clock?: Clock;
  /** How often, at most, a wrap first checks whether another process rotated the keyring (default 5 s). */
  refreshIntervalMs?: number;
}

/** What identifies one written state of the keyring file: a rewrite (rename over it) changes the inode. */
interface FileIdentity {
  ino: number;
  size: number;
  mtimeMs: number;
}

export async function createLocalKms(options: LocalKmsOptions): Promise<KmsProvider & { rotation: KekRotation }> {
  const { keyringPath, clock = systemClock, refreshIntervalMs = DEFAULT_REFRESH_INTERVAL_MS } = options;
  if (options.masterKey.length !== AES_KEY_LENGTH) {
    throw new AppError('CONFIG_INVALID', 'RAMPART_MASTER_KEY must be 32 bytes; generate one with `openssl rand -base64 32`');
  }
  // Kept (a private copy, wiped on close) so the keyring can be re-read when another process rotates it.
  const masterKey = Buffer.from(options.masterKey);
  let keyring: Keyring = await openOrCreateKeyring(keyringPath, masterKey, clock);
  const kekId = keyring.kekId;
  let fileIdentity = await readFileIdentity(keyringPath);
  let lastRefreshAt = clock.now();
  let refreshing: Promise<void> | null = null;
  let isClosed = false;

  function assertOpen(): void {
    if (isClosed) throw new AppError('KMS_UNAVAILABLE', 'The local KMS has been closed');
  }

  /** Re-reads the keyring when the file changed since we read it (a `rampart keys` command rewrote it). */
  function refresh(): Promise<void> {
    refreshing ??= reloadIfChanged().finally(() => {
      refreshing = null;
    });
    return refreshing;
  }

  async function reloadIfChanged(): Promise<void> {
    assertOpen();
    const identity = await readFileIdentity(keyringPath);
    lastRefreshAt = clock.now();
    if (isSameFile(identity, fileIdentity)) return;
    const reread = await readKeyring(keyringPath, masterKey);
    if (!reread) throw new AppError('KMS_UNAVAILABLE', `The keyring at ${keyringPath} disappeared; restore it from its backup`);
    if (reread.kekId !== kekId) {
      wipeKeyring(reread);
      throw new AppError('KMS_UNAVAILABLE', `The keyring at ${keyringPath} is now ${reread.kekId}, not ${kekId}: it was replaced by another keyring`);
    }
    if (isClosed) {
      wipeKeyring(reread);
      return;
    }
    // Wraps and unwraps use a KEK synchronously right after looking it up, so no operation holds the old one.
    wipeKeyring(keyring);
    keyring = reread;
    fileIdentity = identity;
  }

  async function refreshBeforeWrapping(): Promise<void> {
    if (clock.now() - lastRefreshAt < refreshIntervalMs) return;
    try {
      await refresh();
    } catch (error) {
      // Fail closed: wrapping under a version another process may have retired would lose the key.
      if (error instanceof AppError) throw error;
      throw new AppError('KMS_UNAVAILABLE', `The keyring at ${keyringPath} cannot be re-read; check it exists and is readable`, { cause: error });
    }
  }

  function findActiveVersion(version: number): ActiveKekVersion | undefined {
    const found = keyring.versions.find((entry) => entry.version === version);
    if (found?.state === 'retired') {
      throw new AppError(
        'KMS_UNAVAILABLE',
        `KEK version ${version} of keyring ${kekId} was retired on ${found.retiredAt}: keys wrapped under it can no longer be unwrapped`,
      );
    }
    return found;
  }

  async function findKekForUnwrap(version: number): Promise<ActiveKekVersion> {
    assertOpen();
    // A version we do not know yet was made by a rotation in another process.
    const known = findActiveVersion(version) ?? (await refresh().then(() => findActiveVersion(version)));
    if (!known) {
      throw new AppError(
        'KMS_UNAVAILABLE',
        `KEK version ${version} is not in keyring ${kekId} at ${keyringPath}; ` +
          'the keyring file may have been replaced by an older copy',
      );
    }
    return known;
  }

  /** Reads the keyring from disk under the lock, lets `change` edit it, writes it back and adopts it. */
  async function changeKeyring<T>(change: (onDisk: Keyring) => T): Promise<T> {
    assertOpen();
    return withKeyringLock(keyringPath, async () => {
      const onDisk = await readKeyring(keyringPath, masterKey);
      if (onDisk?.kekId !== kekId) {
        if (onDisk) wipeKeyring(onDisk);
        throw new AppError('KMS_UNAVAILABLE', `The keyring at ${keyringPath} is missing or no longer keyring ${kekId}`);
      }
      try {
        const result = change(onDisk);
        await writeKeyring(keyringPath, onDisk, masterKey);
        return result;
      } finally {
        wipeKeyring(onDisk);
        await refresh();
      }
    });
  }

  const rotation: KekRotation = {
    createVersion(): Promise<number> {
      return changeKeyring((onDisk) => {
        const version = Math.max(...onDisk.versions.map((entry) => entry.version)) + 1;
        if (version > 0xffff_ffff) throw new AppError('KMS_UNAVAILABLE', `Keyring ${kekId} has no version numbers left`);
        onDisk.versions.push({ version, key: randomBytes(AES_KEY_LENGTH), createdAt: new Date(clock.now()).toISOString(), state: 'active' });
        return version;
      });
    },
    async listVersions(): Promise<KekVersionInfo[]> {
      await refresh();
      return keyring.versions
        .map((entry) => ({ version: entry.version, state: entry.state, createdAt: entry.createdAt }))
        .sort((a, b) => a.version - b.version);
    },
    retireVersion(version: number): Promise<void> {
      return changeKeyring((onDisk) => {
        const index = onDisk.versions.findIndex((entry) => entry.version === version);
        const entry = onDisk.versions[index];
        if (!entry) throw new AppError('KMS_UNAVAILABLE', `Keyring ${kekId} has no KEK version ${version}`);
        if (entry.state === 'retired') return;
        if (version === findCurrentVersion(onDisk)) {
          throw new AppError('KMS_UNAVAILABLE', `KEK version ${version} is the current version of keyring ${kekId}; rotate first, then retire it`);
        }
        entry.key.fill(0);
        onDisk.versions[index] = { version, createdAt: entry.createdAt, state: 'retired', retiredAt: new Date(clock.now()).toISOString() };
      });
    },
  };

  return {
    provider: LOCAL_KMS_PROVIDER,
    kekId,
    currentVersion(): number {
      assertOpen();
      return findCurrentVersion(keyring);
    },
    refresh,
    rotation,
    async wrapKey(key: Buffer, context: WrapContext): Promise<WrappedKey> {
      if (key.length !== AES_KEY_LENGTH) throw new RangeError(`Only ${AES_KEY_LENGTH}-byte keys are wrapped`);
      assertOpen();
      await refreshBeforeWrapping();
      const kekVersion = findActiveVersion(findCurrentVersion(keyring));
      if (!kekVersion) throw new AppError('KMS_UNAVAILABLE', `Keyring ${kekId} has no active KEK version`);
      const nonce = randomBytes(GCM_NONCE_LENGTH);
      const aad = encodeWrapAad(kekId, kekVersion.version, context);
      const { ciphertext, tag } = encryptAesGcm(kekVersion.key, nonce, key, aad);
      return {
        provider: LOCAL_KMS_PROVIDER,
        kekId,
        kekVersion: kekVersion.version,
        ciphertext: Buffer.concat([nonce, ciphertext, tag]),
      };
    },
    async unwrapKey(wrapped: WrappedKey, context: WrapContext): Promise<Buffer> {
      assertWrappedByThisKek(wrapped, { provider: LOCAL_KMS_PROVIDER, kekId });
      if (wrapped.ciphertext.length <= GCM_NONCE_LENGTH + GCM_TAG_LENGTH) {
        throw new AppError('DECRYPT_FAILED', 'Wrapped key is truncated');
      }
      const kekVersion = await findKekForUnwrap(wrapped.kekVersion);
      const nonce = wrapped.ciphertext.subarray(0, GCM_NONCE_LENGTH);
      const ciphertext = wrapped.ciphertext.subarray(GCM_NONCE_LENGTH, -GCM_TAG_LENGTH);
      const tag = wrapped.ciphertext.subarray(-GCM_TAG_LENGTH);
      const aad = encodeWrapAad(kekId, kekVersion.version, context);
      try {
        return decryptAesGcm(kekVersion.key, nonce, ciphertext, tag, aad);
      } catch {
        throw new AppError('DECRYPT_FAILED', 'Wrapped key failed authentication: wrong key context, or tampered');
      }
    },
    async close(): Promise<void> {
      isClosed = true;
      wipeKeyring(keyring);
      masterKey.fill(0);
    },
  };
}

async function readFileIdentity(keyringPath: string): Promise<FileIdentity> {
  try {
    const { ino, size, mtimeMs } = await stat(keyringPath);
    return { ino, size, mtimeMs };
  } catch (error) {
    throw new AppError('KMS_UNAVAILABLE', `The keyring at ${keyringPath} cannot be read; check it exists and is readable`, { cause: error });
  }
}

function isSameFile(a: FileIdentity, b: FileIdentity): boolean {
  return a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs;
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
