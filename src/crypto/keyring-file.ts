/**
 * The local KMS keyring: a JSON file holding the KEK versions, sealed with AES-256-GCM under the
 * master key. The outer file is public metadata plus ciphertext; the KEKs exist in plaintext only
 * in memory. AAD binds the format name, format version and kekId, so a sealed body cannot be
 * moved under another keyring's label.
 *
 *   file:  { format: 'rampart-keyring', version: 1, kekId, nonce, ciphertext, tag }   (base64 fields)
 *   inner: { versions: [{ version, key (base64, 32 bytes), createdAt (ISO 8601), state: 'active' }
 *                      | { version, createdAt, state: 'retired', retiredAt }] }
 *
 * A retired version keeps its number and dates but not its key: retiring destroys the key material.
 */
import { mkdir, open, readFile, unlink } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import type { Clock } from '../clock.js';
import { AppError } from '../errors.js';
import { createFileExclusively, hasErrorCode, replaceFile } from './atomic-file.js';
import { encodeLengthPrefixedStrings, encodeUint32 } from './byte-encoding.js';
import { AES_KEY_LENGTH, decryptAesGcm, encryptAesGcm, GCM_NONCE_LENGTH, GCM_TAG_LENGTH, randomBytes } from './primitives.js';

export const KEYRING_FORMAT = 'rampart-keyring';
export const KEYRING_FORMAT_VERSION = 1;
const KEYRING_FILE_MODE = 0o600;
const MAX_KEYRING_FILE_BYTES = 1024 * 1024;

/** Unwraps; the highest active version also wraps. */
export interface ActiveKekVersion {
  version: number;
  key: Buffer;
  createdAt: string;
  state: 'active';
}

/** Its key is gone: nothing wrapped under it unwraps any more. */
export interface RetiredKekVersion {
  version: number;
  createdAt: string;
  state: 'retired';
  retiredAt: string;
}

export type KekVersion = ActiveKekVersion | RetiredKekVersion;

export interface Keyring {
  kekId: string;
  versions: KekVersion[];
}

const base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/);

const keyringFileSchema = z.strictObject({
  format: z.literal(KEYRING_FORMAT),
  version: z.literal(KEYRING_FORMAT_VERSION),
  kekId: z.string().regex(/^kr_[0-9a-f]{32}$/),
  nonce: base64,
  ciphertext: base64,
  tag: base64,
});

const versionNumber = z.number().int().min(1).max(0xffff_ffff);

const keyringContentsSchema = z.strictObject({
  versions: z
    .array(
      z.discriminatedUnion('state', [
        z.strictObject({ version: versionNumber, key: base64, createdAt: z.iso.datetime(), state: z.literal('active') }),
        z.strictObject({ version: versionNumber, createdAt: z.iso.datetime(), state: z.literal('retired'), retiredAt: z.iso.datetime() }),
      ]),
    )
    .min(1),
});

/** Opens the keyring at `keyringPath`, creating it with one fresh KEK version when it is missing. */
export async function openOrCreateKeyring(keyringPath: string, masterKey: Buffer, clock: Clock): Promise<Keyring> {
  const existing = await readKeyringFile(keyringPath);
  if (existing) return openKeyring(existing, masterKey, keyringPath);
  const keyring = generateKeyring(clock);
  await mkdir(path.dirname(keyringPath), { recursive: true, mode: 0o700 });
  const isCreated = await createFileExclusively(keyringPath, sealKeyring(keyring, masterKey), KEYRING_FILE_MODE);
  if (isCreated) return keyring;
  // Another process created it between our read and our write: use theirs, forget ours.
  wipeKeyring(keyring);
  const created = await readKeyringFile(keyringPath);
  if (!created) throw corruptKeyring(keyringPath, 'it disappeared while being created');
  return openKeyring(created, masterKey, keyringPath);
}

export function wipeKeyring(keyring: Keyring): void {
  for (const kekVersion of keyring.versions) if (kekVersion.state === 'active') kekVersion.key.fill(0);
  keyring.versions.length = 0;
}

/** Reads and opens the keyring as it is on disk now; undefined when the file is missing. */
export async function readKeyring(keyringPath: string, masterKey: Buffer): Promise<Keyring | undefined> {
  const bytes = await readKeyringFile(keyringPath);
  return bytes ? openKeyring(bytes, masterKey, keyringPath) : undefined;
}

/** Seals and writes the keyring in place of the old file, crash-safely (a reader sees the old or the new file). */
export async function writeKeyring(keyringPath: string, keyring: Keyring, masterKey: Buffer): Promise<void> {
  await replaceFile(keyringPath, sealKeyring(keyring, masterKey), KEYRING_FILE_MODE);
}

const LOCK_STALE_AFTER_MS = 60_000;

/**
 * Runs `change` while holding `<keyring>.lock` (created exclusively), so two `rampart keys`
 * commands cannot both read the keyring, change it and write it, losing one change. A lock left by
 * a process that died is broken once its process is gone or it is a minute old.
 */
export async function withKeyringLock<T>(keyringPath: string, change: () => Promise<T>): Promise<T> {
  const lockPath = `${keyringPath}.lock`;
  for (let attempt = 0; ; attempt += 1) {
    try {
      const handle = await open(lockPath, 'wx', KEYRING_FILE_MODE);
      await handle.writeFile(JSON.stringify({ pid: process.pid, at: new Date().toISOString() }));
      await handle.close();
      break;
    } catch (error) {
      if (!hasErrorCode(error, 'EEXIST')) throw error;
      if (await isLockStale(lockPath)) {
        await unlink(lockPath).catch(() => undefined);
        continue;
      }
      if (attempt >= 50) {
        throw new AppError('KMS_UNAVAILABLE', `Another process is changing the keyring (${lockPath} exists); try again when it has finished`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  try {
    return await change();
  } finally {
    await unlink(lockPath).catch(() => undefined);
  }
}

async function isLockStale(lockPath: string): Promise<boolean> {
  try {
    const held = JSON.parse(await readFile(lockPath, 'utf8')) as { pid?: unknown; at?: unknown };
    const age = Date.now() - Date.parse(typeof held.at === 'string' ? held.at : '');
    if (!(age < LOCK_STALE_AFTER_MS)) return true;
    if (typeof held.pid !== 'number') return true;
    process.kill(held.pid, 0);
    return false;
  } catch (error) {
    // ESRCH: the holder is gone. A half-written lock (crash between create and write) reads as stale too.
    return !hasErrorCode(error, 'EPERM');
  }
}

function generateKeyring(clock: Clock): Keyring {
  return {
    kekId: `kr_${randomBytes(16).toString('hex')}`,
    versions: [
      { version: 1, key: randomBytes(AES_KEY_LENGTH), createdAt: new Date(clock.now()).toISOString(), state: 'active' },
    ],
  };
}

export function sealKeyring(keyring: Keyring, masterKey: Buffer): Buffer {
  const contents = Buffer.from(
    JSON.stringify({
      versions: keyring.versions.map((kekVersion) =>
        kekVersion.state === 'active' ? { ...kekVersion, key: kekVersion.key.toString('base64') } : kekVersion,
      ),
    }),
  );
  const nonce = randomBytes(GCM_NONCE_LENGTH);
  const { ciphertext, tag } = encryptAesGcm(masterKey, nonce, contents, encodeKeyringAad(keyring.kekId));
  contents.fill(0);
  const file = {
    format: KEYRING_FORMAT,
    version: KEYRING_FORMAT_VERSION,
    kekId: keyring.kekId,
    nonce: nonce.toString('base64'),
    ciphertext: ciphertext.toString('base64'),
    tag: tag.toString('base64'),
  };
  return Buffer.from(`${JSON.stringify(file, null, 2)}\n`);
}

export function openKeyring(fileBytes: Buffer, masterKey: Buffer, keyringPath: string): Keyring {
  const file = parseKeyringFile(fileBytes, keyringPath);
  const nonce = Buffer.from(file.nonce, 'base64');
  const tag = Buffer.from(file.tag, 'base64');
  if (nonce.length !== GCM_NONCE_LENGTH || tag.length !== GCM_TAG_LENGTH) {
    throw corruptKeyring(keyringPath, 'its nonce or tag has the wrong length');
  }
  let contents: Buffer;
  try {
    contents = decryptAesGcm(masterKey, nonce, Buffer.from(file.ciphertext, 'base64'), tag, encodeKeyringAad(file.kekId));
  } catch {
    throw new AppError(
      'CONFIG_INVALID',
      `RAMPART_MASTER_KEY does not open the keyring at ${keyringPath}. Check that RAMPART_MASTER_KEY ` +
        '(or the file named by RAMPART_MASTER_KEY_FILE) holds the key this keyring was created with, ' +
        'that RAMPART_DATA_DIR points at the matching data directory, and that the keyring file was not edited.',
    );
  }
  try {
    return { kekId: file.kekId, versions: parseKeyringContents(contents, keyringPath) };
  } finally {
    contents.fill(0);
  }
}

function parseKeyringFile(fileBytes: Buffer, keyringPath: string): z.infer<typeof keyringFileSchema> {
  let json: unknown;
  try {
    json = JSON.parse(fileBytes.toString('utf8'));
  } catch {
    throw corruptKeyring(keyringPath, 'it is not JSON');
  }
  const version = typeof json === 'object' && json !== null && 'version' in json ? json.version : undefined;
  if (typeof version === 'number' && version > KEYRING_FORMAT_VERSION) {
    throw new AppError(
      'CONFIG_INVALID',
      `The keyring at ${keyringPath} has format version ${version}, newer than this Rampart can read; upgrade Rampart.`,
    );
  }
  const parsed = keyringFileSchema.safeParse(json);
  if (!parsed.success) throw corruptKeyring(keyringPath, `invalid fields: ${describeIssuePaths(parsed.error)}`);
  return parsed.data;
}

function parseKeyringContents(contents: Buffer, keyringPath: string): KekVersion[] {
  let json: unknown;
  try {
    json = JSON.parse(contents.toString('utf8'));
  } catch {
    // No cause: the SyntaxError message would quote key material.
    throw corruptKeyring(keyringPath, 'its sealed contents are not JSON');
  }
  const parsed = keyringContentsSchema.safeParse(json);
  if (!parsed.success) {
    throw corruptKeyring(keyringPath, `its sealed contents are invalid: ${describeIssuePaths(parsed.error)}`);
  }
  const versions: KekVersion[] = parsed.data.versions.map((entry) =>
    entry.state === 'active' ? { ...entry, key: Buffer.from(entry.key, 'base64') } : entry,
  );
  const numbers = new Set(versions.map((entry) => entry.version));
  if (numbers.size !== versions.length) throw corruptKeyring(keyringPath, 'a KEK version appears twice');
  if (versions.some((entry) => entry.state === 'active' && entry.key.length !== AES_KEY_LENGTH)) {
    throw corruptKeyring(keyringPath, 'a KEK is not 32 bytes');
  }
  if (!versions.some((entry) => entry.state === 'active')) throw corruptKeyring(keyringPath, 'no KEK version is active');
  return versions;
}

/** Issue paths only: zod messages may describe values, and paths are enough to locate the damage. */
function describeIssuePaths(error: z.ZodError): string {
  return error.issues.map((issue) => issue.path.join('.') || '(top level)').join(', ');
}

function encodeKeyringAad(kekId: string): Buffer {
  return Buffer.concat([
    encodeLengthPrefixedStrings([KEYRING_FORMAT]),
    encodeUint32(KEYRING_FORMAT_VERSION),
    encodeLengthPrefixedStrings([kekId]),
  ]);
}

async function readKeyringFile(keyringPath: string): Promise<Buffer | undefined> {
  try {
    const bytes = await readFile(keyringPath);
    if (bytes.length > MAX_KEYRING_FILE_BYTES) throw corruptKeyring(keyringPath, 'it is larger than 1 MiB');
    return bytes;
  } catch (error) {
    if (hasErrorCode(error, 'ENOENT')) return undefined;
    if (error instanceof AppError) throw error;
    throw new AppError('CONFIG_INVALID', `The keyring at ${keyringPath} cannot be read; check its permissions.`, {
      cause: error,
    });
  }
}

function corruptKeyring(keyringPath: string, reason: string): AppError {
  return new AppError(
    'CONFIG_INVALID',
    `The keyring at ${keyringPath} is damaged (${reason}). Restore it from a backup; ` +
      'its keys cannot be recreated, so do not replace it while data encrypted under it is needed.',
  );
}
