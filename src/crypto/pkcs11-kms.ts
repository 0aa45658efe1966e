/**
 * The `pkcs11` KMS provider: KEKs are AES-256 secret-key objects generated inside a PKCS#11 token
 * (an HSM, or SoftHSM2), never extractable; Rampart's keys are wrapped with CKM_AES_GCM inside the
 * token, with AAD = the canonical wrap-context bytes (wrap-context.ts).
 *
 * Versions: one token object per KEK version, labelled `<key-label>-v<N>`; the highest N wraps, every
 * version on the token unwraps. Wrapped key: `01 ‖ nonce 12 ‖ ciphertext ‖ tag 16`.
 * Rotation (`rotation`): creating a version generates the next object; retiring one destroys its
 * objects (C_DestroyObject), after which its wraps never unwrap again. Other processes sharing the
 * token learn of both by finding the objects again: before a wrap when the last look is older than
 * `refreshIntervalMs`, when a wrap's version is unknown, and when a handle no longer names its object.
 */
import type { Handle, Template } from 'pkcs11js';
import { systemClock } from '../clock.js';
import type { Clock } from '../clock.js';
import { AppError } from '../errors.js';
import type { KekRotation, KekVersionInfo, KmsProvider, WrapContext, WrappedKey } from './kms.js';
import {
  acquirePkcs11Module,
  callToken,
  closeSessionQuietly,
  hasPkcs11Code,
  isObjectGone,
  isSessionLost,
  openTokenSession,
  TokenCallError,
} from './pkcs11-module.js';
import type { Pkcs11Binding, Pkcs11Module } from './pkcs11-module.js';
import { AES_KEY_LENGTH, GCM_NONCE_LENGTH, GCM_TAG_LENGTH, randomBytes } from './primitives.js';
import { createSerialQueue } from './serial-queue.js';
import { assertWrapContext, assertWrappedByThisKek, encodeWrapContext } from './wrap-context.js';

export const PKCS11_KMS_PROVIDER = 'pkcs11';
const WRAP_DOMAIN = 'rampart/pkcs11-kms/wrap/v1';
const WRAPPED_FORMAT = 0x01;
const MAX_VERSION = 0xffff_ffff;
const DEFAULT_REFRESH_INTERVAL_MS = 5_000;
/** listVersions infers retired versions from gaps only up to here, so a stray huge label cannot make it loop for ever. */
const MAX_INFERRED_VERSIONS = 100_000;

export interface Pkcs11KmsOptions {
  modulePath: string;
  tokenLabel: string;
  /** Also the kekId; versions are objects labelled `<keyLabel>-v<N>`. */
  keyLabel: string;
  pin: string;
  /** Paces the automatic looks at the token (default: the system clock). */
  clock?: Clock;
  /**
   * How long, at most, wraps rely on the objects last found before looking at the token again
   * (default 5 s): a gateway stops wrapping under an old version this long after another process rotates.
   */
  refreshIntervalMs?: number;
}

export interface Pkcs11Kms extends KmsProvider {
  readonly rotation: KekRotation;
}

interface KekObject {
  version: number;
  handle: Handle;
  id: Buffer;
}

export async function createPkcs11Kms(options: Pkcs11KmsOptions): Promise<Pkcs11Kms> {
  const { tokenLabel, keyLabel, clock = systemClock, refreshIntervalMs = DEFAULT_REFRESH_INTERVAL_MS } = options;
  const module = await acquirePkcs11Module(options.modulePath);
  const { binding, pkcs11 } = module;
  let session: Handle;
  try {
    session = openTokenSession(module, tokenLabel, options.pin);
  } catch (error) {
    module.release();
    throw error;
  }
  // One session, one operation at a time: an EncryptInit must not interleave with another call's.
  const runSerially = createSerialQueue();
  let isClosed = false;
  let kekObjects: KekObject[] = [];
  let lastFoundAt = Number.NEGATIVE_INFINITY;

  function assertOpen(): void {
    if (isClosed) throw new AppError('KMS_UNAVAILABLE', `The PKCS#11 KMS for token "${tokenLabel}" has been closed`);
  }

  function findObjectsAgain(): void {
    kekObjects = findKekObjects(module, session, keyLabel);
    lastFoundAt = clock.now();
  }

  function currentVersion(): number {
    assertOpen();
    const versions = kekObjects.map((object) => object.version);
    if (versions.length === 0) throw new AppError('KMS_UNAVAILABLE', `Token "${tokenLabel}" holds no KEK labelled ${keyLabel}-v<N>`);
    return Math.max(...versions);
  }

  function objectsOfVersion(version: number): KekObject[] {
    return kekObjects.filter((object) => object.version === version).sort((a, b) => Buffer.compare(a.id, b.id));
  }

  function generateVersion(version: number): void {
    generateKekObject(module, session, keyLabel, version);
    findObjectsAgain();
  }

  try {
    findObjectsAgain();
    if (kekObjects.length === 0) generateVersion(1);
  } catch (error) {
    closeSessionQuietly(pkcs11, session);
    module.release();
    throw error;
  }

  /**
   * Runs a token operation; if the session was lost (an HSM restarted, a network HSM failed over),
   * opens a new one, logs in, finds the KEK objects again and runs the operation once more.
   */
  async function withSession<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      if (!isSessionLost(binding, error)) throw error;
      closeSessionQuietly(pkcs11, session);
      session = openTokenSession(module, tokenLabel, options.pin);
      findObjectsAgain();
      return operation();
    }
  }

  /** Serialised on the session, after `close` refused, with a lost session reopened once. */
  function runOnToken<T>(operation: () => Promise<T>): Promise<T> {
    return runSerially(() =>
      withSession(async () => {
        assertOpen();
        return operation();
      }),
    );
  }

  /** The wrap under the current version, or null when that version's object is gone from under its handle. */
  async function sealUnderCurrentVersion(key: Buffer, context: WrapContext): Promise<WrappedKey | null> {
    const version = currentVersion();
    // Two gateways creating a version at once leave two objects with one label; all pick the lowest id.
    const [object] = objectsOfVersion(version);
    // A destroyed object's handle may be given to another object: check it still names this one.
    if (!object || !isStillKekObject(module, session, keyLabel, object)) return null;
    try {
      const ciphertext = await sealInToken({ module, session, keyLabel }, object, key, context);
      return { provider: PKCS11_KMS_PROVIDER, kekId: keyLabel, kekVersion: version, ciphertext };
    } catch (error) {
      if (isObjectGone(binding, error)) return null;
      throw error;
    }
  }

  async function wrapInToken(key: Buffer, context: WrapContext): Promise<WrappedKey> {
    // Another process may have rotated: wrap under an older version for at most refreshIntervalMs.
    if (clock.now() - lastFoundAt >= refreshIntervalMs) findObjectsAgain();
    const wrapped = await sealUnderCurrentVersion(key, context);
    if (wrapped) return wrapped;
    // The object was destroyed (its version retired by another process): look at the token again, once.
    findObjectsAgain();
    const retried = await sealUnderCurrentVersion(key, context);
    if (retried) return retried;
    throw new AppError('KMS_UNAVAILABLE', `KEK ${keyLabel}-v${currentVersion()} disappeared from token "${tokenLabel}" while wrapping; check the token`);
  }

  /** Tries each object; pushes to `refused` those whose tag check failed, skips those gone from under their handle. */
  async function tryObjects(objects: KekObject[], nonce: Buffer, sealed: Buffer, context: WrapContext, refused: Handle[]): Promise<Buffer | null> {
    for (const object of objects) {
      try {
        const key = await openInToken({ module, session, keyLabel }, object, nonce, sealed, context);
        if (key) return key;
        refused.push(object.handle);
      } catch (error) {
        if (!isObjectGone(binding, error)) throw error;
      }
    }
    return null;
  }

  async function unwrapInToken(wrapped: WrappedKey, context: WrapContext): Promise<Buffer> {
    const { nonce, sealed } = parseWrappedKey(wrapped.ciphertext);
    const refused: Handle[] = [];
    const key = await tryObjects(objectsOfVersion(wrapped.kekVersion), nonce, sealed, context, refused);
    if (key) return key;
    // Another gateway may have rotated, retired, or raced us to a version since we last looked.
    findObjectsAgain();
    const candidates = objectsOfVersion(wrapped.kekVersion);
    if (candidates.length === 0) throw describeMissingVersion(wrapped.kekVersion);
    const untried = candidates.filter((object) => !refused.some((handle) => handle.equals(object.handle)));
    const retried = await tryObjects(untried, nonce, sealed, context, refused);
    if (retried) return retried;
    if (refused.length === 0) throw describeMissingVersion(wrapped.kekVersion);
    throw new AppError('DECRYPT_FAILED', 'Wrapped key failed authentication in the token: wrong key context, or tampered');
  }

  function describeMissingVersion(version: number): AppError {
    const object = `${keyLabel}-v${version}`;
    const newest = Math.max(0, ...kekObjects.map((entry) => entry.version));
    if (version < newest) {
      return new AppError(
        'KMS_UNAVAILABLE',
        `KEK version ${version} (object ${object}) is not on token "${tokenLabel}": it was retired (\`rampart keys retire\`) or deleted, ` +
          'so keys wrapped under it can no longer be unwrapped; if it was deleted by mistake, restore the token from its backup',
      );
    }
    return new AppError(
      'KMS_UNAVAILABLE',
      `KEK version ${version} (object ${object}) is not on token "${tokenLabel}"; check slot-label in RAMPART_KMS, or restore the token from its backup`,
    );
  }

  function retireInToken(version: number): void {
    findObjectsAgain();
    const current = currentVersion();
    if (!Number.isInteger(version) || version < 1 || version > current) {
      throw new AppError('KMS_UNAVAILABLE', `KEK ${keyLabel} has no version ${version} on token "${tokenLabel}" (the newest is ${current})`);
    }
    if (version === current) {
      throw new AppError('KMS_UNAVAILABLE', `KEK ${keyLabel}-v${version} is the current version on token "${tokenLabel}"; rotate first, then retire it`);
    }
    // No object left means already retired (by us before a crash, or by another process): nothing to do.
    for (const object of objectsOfVersion(version)) {
      try {
        callToken(() => pkcs11.C_DestroyObject(session, object.handle), `destroying KEK ${keyLabel}-v${version}`);
      } catch (error) {
        if (!isObjectGone(binding, error)) throw error;
      }
    }
    findObjectsAgain();
    if (objectsOfVersion(version).length > 0) {
      throw new AppError('KMS_UNAVAILABLE', `KEK ${keyLabel}-v${version} is still on token "${tokenLabel}" after destroying it; check the object's CKA_DESTROYABLE`);
    }
  }

  const rotation: KekRotation = {
    createVersion(): Promise<number> {
      return runOnToken(async () => {
        findObjectsAgain();
        const next = currentVersion() + 1;
        if (next > MAX_VERSION) throw new AppError('KMS_UNAVAILABLE', `KEK ${keyLabel} has no version numbers left`);
        generateVersion(next);
        return next;
      });
    },
    listVersions(): Promise<KekVersionInfo[]> {
      return runOnToken(async () => {
        findObjectsAgain();
        return describeVersions(kekObjects.map((object) => object.version));
      });
    },
    retireVersion(version: number): Promise<void> {
      return runOnToken(async () => retireInToken(version));
    },
  };

  return {
    provider: PKCS11_KMS_PROVIDER,
    kekId: keyLabel,
    currentVersion,
    refresh(): Promise<void> {
      return runOnToken(async () => findObjectsAgain());
    },
    rotation,
    async wrapKey(key: Buffer, context: WrapContext): Promise<WrappedKey> {
      if (key.length !== AES_KEY_LENGTH) throw new RangeError(`Only ${AES_KEY_LENGTH}-byte keys are wrapped`);
      assertWrapContext(context);
      return runOnToken(() => wrapInToken(key, context));
    },
    async unwrapKey(wrapped: WrappedKey, context: WrapContext): Promise<Buffer> {
      return runOnToken(async () => {
        assertWrappedByThisKek(wrapped, { provider: PKCS11_KMS_PROVIDER, kekId: keyLabel });
        return unwrapInToken(wrapped, context);
      });
    },
    close(): Promise<void> {
      return runSerially(async () => {
        if (isClosed) return;
        isClosed = true;
        kekObjects = [];
        closeSessionQuietly(pkcs11, session);
        module.release();
      });
    },
  };
}

/**
 * Versions on the token are active; the token keeps no record of destroyed objects, but versions are
 * numbered up from 1 one at a time, so a number missing below the newest was retired (or deleted).
 */
function describeVersions(present: number[]): KekVersionInfo[] {
  const active = new Set(present);
  const newest = Math.max(0, ...present);
  const versions = newest <= MAX_INFERRED_VERSIONS ? Array.from({ length: newest }, (_, index) => index + 1) : [...active].sort((a, b) => a - b);
  return versions.map((version) => ({ version, state: active.has(version) ? 'active' : 'retired', createdAt: null }));
}

interface TokenSession {
  module: Pkcs11Module;
  session: Handle;
  keyLabel: string;
}

/** AES-GCM inside the token; returns the wrapped key `01 ‖ nonce ‖ ciphertext ‖ tag`. */
async function sealInToken({ module, session, keyLabel }: TokenSession, object: KekObject, key: Buffer, context: WrapContext): Promise<Buffer> {
  const { binding, pkcs11 } = module;
  const nonce = randomBytes(GCM_NONCE_LENGTH);
  const mechanism = gcmMechanism(binding, nonce, wrapAad(keyLabel, object.version, context));
  callToken(() => pkcs11.C_EncryptInit(session, mechanism, object.handle), 'starting AES-GCM');
  const sealed = await pkcs11
    .C_EncryptAsync(session, key, Buffer.alloc(key.length + GCM_TAG_LENGTH))
    .catch((error: unknown) => Promise.reject(new TokenCallError('wrapping a key', error)));
  return Buffer.concat([Buffer.from([WRAPPED_FORMAT]), nonce, sealed]);
}

/** The key, or null when the tag does not verify under this object (another object, context or tampering). */
async function openInToken({ module, session, keyLabel }: TokenSession, object: KekObject, nonce: Buffer, sealed: Buffer, context: WrapContext): Promise<Buffer | null> {
  const { binding, pkcs11 } = module;
  const mechanism = gcmMechanism(binding, nonce, wrapAad(keyLabel, object.version, context));
  callToken(() => pkcs11.C_DecryptInit(session, mechanism, object.handle), 'starting AES-GCM');
  try {
    return await pkcs11.C_DecryptAsync(session, sealed, Buffer.alloc(sealed.length));
  } catch (error) {
    if (isAuthenticationFailure(binding, error)) return null;
    throw new TokenCallError('unwrapping a key', error);
  }
}

function wrapAad(keyLabel: string, version: number, context: WrapContext): Buffer {
  return encodeWrapContext({ domain: WRAP_DOMAIN, provider: PKCS11_KMS_PROVIDER, kekId: keyLabel, kekVersion: version }, context);
}

function gcmMechanism(binding: Pkcs11Binding, nonce: Buffer, aad: Buffer) {
  return {
    mechanism: binding.CKM_AES_GCM,
    parameter: { type: binding.CK_PARAMS_AES_GCM, iv: nonce, aad, ivBits: GCM_NONCE_LENGTH * 8, tagBits: GCM_TAG_LENGTH * 8 },
  };
}

function parseWrappedKey(ciphertext: Buffer): { nonce: Buffer; sealed: Buffer } {
  if (ciphertext.length !== 1 + GCM_NONCE_LENGTH + AES_KEY_LENGTH + GCM_TAG_LENGTH || ciphertext[0] !== WRAPPED_FORMAT) {
    throw new AppError('DECRYPT_FAILED', 'Wrapped key is malformed: wrong length or format byte');
  }
  return { nonce: ciphertext.subarray(1, 1 + GCM_NONCE_LENGTH), sealed: ciphertext.subarray(1 + GCM_NONCE_LENGTH) };
}

/**
 * A tag that does not verify. The standard says CKR_ENCRYPTED_DATA_INVALID; SoftHSM2 answers
 * CKR_GENERAL_ERROR. Both end the operation, so the session stays usable.
 */
function isAuthenticationFailure(binding: Pkcs11Binding, error: unknown): boolean {
  return [binding.CKR_ENCRYPTED_DATA_INVALID, binding.CKR_ENCRYPTED_DATA_LEN_RANGE, binding.CKR_GENERAL_ERROR].some((code) =>
    hasPkcs11Code(error, code),
  );
}

/**
 * Every private secret key on the token labelled `<keyLabel>-v<N>`, checked to be a usable,
 * never-extractable AES key. Only private objects count: creating one needs the user PIN, while a
 * public object can be planted (and used) by anyone who can open a session on the token.
 */
function findKekObjects(module: Pkcs11Module, session: Handle, keyLabel: string): KekObject[] {
  const { binding, pkcs11 } = module;
  const handles = callToken(() => {
    pkcs11.C_FindObjectsInit(session, [
      { type: binding.CKA_CLASS, value: binding.CKO_SECRET_KEY },
      { type: binding.CKA_KEY_TYPE, value: binding.CKK_AES },
      { type: binding.CKA_PRIVATE, value: true },
    ]);
    try {
      const found: Handle[] = [];
      for (let batch = pkcs11.C_FindObjects(session, 64); batch.length > 0; batch = pkcs11.C_FindObjects(session, 64)) found.push(...batch);
      return found;
    } finally {
      pkcs11.C_FindObjectsFinal(session);
    }
  }, 'listing key objects');
  const versionPattern = new RegExp(`^${keyLabel.replace(/[.]/g, '\\.')}-v([1-9][0-9]{0,9})$`);
  const objects: KekObject[] = [];
  for (const handle of handles) {
    const [label, id] = callToken(
      () => pkcs11.C_GetAttributeValue(session, handle, [{ type: binding.CKA_LABEL }, { type: binding.CKA_ID }]),
      'reading key labels',
    ).map((attribute) => attribute.value);
    const version = Number(versionPattern.exec(label?.toString('utf8') ?? '')?.[1] ?? 0);
    if (version < 1 || version > MAX_VERSION) continue;
    assertNeverExtractable(module, session, handle, `${keyLabel}-v${version}`);
    objects.push({ version, handle, id: id ?? Buffer.alloc(0) });
  }
  return objects;
}

/**
 * Whether the handle still names this KEK object. PKCS#11 keeps a handle valid only while its object
 * exists: once another process destroys it, the handle fails, or may come to name some other object.
 */
function isStillKekObject(module: Pkcs11Module, session: Handle, keyLabel: string, object: KekObject): boolean {
  const { binding, pkcs11 } = module;
  try {
    const [label, id] = callToken(
      () => pkcs11.C_GetAttributeValue(session, object.handle, [{ type: binding.CKA_LABEL }, { type: binding.CKA_ID }]),
      'reading key labels',
    ).map((attribute) => attribute.value);
    // CKA_ID is a random identifier, not a secret: a plain comparison is fine.
    return label?.toString('utf8') === `${keyLabel}-v${object.version}` && (id ?? Buffer.alloc(0)).equals(object.id);
  } catch (error) {
    if (isObjectGone(binding, error)) return false;
    throw error;
  }
}

/** Rampart uses only keys that were generated in the token and can never leave it. */
function assertNeverExtractable(module: Pkcs11Module, session: Handle, handle: Handle, label: string): void {
  const { binding, pkcs11 } = module;
  const required: [number, boolean, string][] = [
    [binding.CKA_EXTRACTABLE, false, 'CKA_EXTRACTABLE false'],
    [binding.CKA_NEVER_EXTRACTABLE, true, 'CKA_NEVER_EXTRACTABLE true'],
    [binding.CKA_SENSITIVE, true, 'CKA_SENSITIVE true'],
    [binding.CKA_ALWAYS_SENSITIVE, true, 'CKA_ALWAYS_SENSITIVE true'],
    [binding.CKA_TOKEN, true, 'CKA_TOKEN true'],
    [binding.CKA_PRIVATE, true, 'CKA_PRIVATE true'],
    [binding.CKA_LOCAL, true, 'CKA_LOCAL true (generated in the token)'],
    [binding.CKA_ENCRYPT, true, 'CKA_ENCRYPT true'],
    [binding.CKA_DECRYPT, true, 'CKA_DECRYPT true'],
  ];
  const values = callToken(
    () => pkcs11.C_GetAttributeValue(session, handle, required.map(([type]) => ({ type }))),
    `reading the attributes of ${label}`,
  );
  const missing = required.filter(([, expected], index) => (values[index]?.value[0] === 1) !== expected).map(([, , name]) => name);
  if (missing.length > 0) {
    throw new AppError(
      'KMS_UNAVAILABLE',
      `Key object ${label} does not have ${missing.join(', ')}; Rampart only uses AES keys generated in the token ` +
        'that can never leave it. Remove or relabel that object, and let Rampart generate the key.',
    );
  }
}

function generateKekObject(module: Pkcs11Module, session: Handle, keyLabel: string, version: number): void {
  const { binding, pkcs11 } = module;
  const template: Template = [
    { type: binding.CKA_CLASS, value: binding.CKO_SECRET_KEY },
    { type: binding.CKA_KEY_TYPE, value: binding.CKK_AES },
    { type: binding.CKA_VALUE_LEN, value: AES_KEY_LENGTH },
    { type: binding.CKA_LABEL, value: `${keyLabel}-v${version}` },
    // A random id tells apart two objects of one version (two gateways generating at the same moment).
    { type: binding.CKA_ID, value: randomBytes(16) },
    { type: binding.CKA_TOKEN, value: true },
    { type: binding.CKA_PRIVATE, value: true },
    { type: binding.CKA_SENSITIVE, value: true },
    { type: binding.CKA_EXTRACTABLE, value: false },
    { type: binding.CKA_ENCRYPT, value: true },
    { type: binding.CKA_DECRYPT, value: true },
    // Nothing else: a wrap, derive or sign capability is a way to use the key that Rampart does not need.
    { type: binding.CKA_WRAP, value: false },
    { type: binding.CKA_UNWRAP, value: false },
    { type: binding.CKA_DERIVE, value: false },
    { type: binding.CKA_SIGN, value: false },
    { type: binding.CKA_VERIFY, value: false },
  ];
  callToken(() => pkcs11.C_GenerateKey(session, { mechanism: binding.CKM_AES_KEY_GEN }, template), `generating KEK ${keyLabel}-v${version}`);
}
