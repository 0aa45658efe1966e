/** Crash-safe creation and replacement of small secret files (the keyring). */
import { link, open, rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from './primitives.js';

/**
 * Writes `data` to a temp file in the same directory (mode `mode`), fsyncs it, then publishes it
 * with link(2), which fails if `filePath` exists: two processes starting at once cannot overwrite
 * each other's keyring, and a crash never leaves a half-written file at `filePath`.
 * Returns false, writing nothing, when the file already exists.
 */
export async function createFileExclusively(filePath: string, data: Buffer, mode: number): Promise<boolean> {
  const directory = path.dirname(filePath);
  const tempPath = path.join(directory, `.${path.basename(filePath)}.${randomBytes(8).toString('hex')}.tmp`);
  await writeAndSync(tempPath, data, mode);
  try {
    return await publishWithoutOverwriting(tempPath, filePath);
  } finally {
    await unlink(tempPath).catch(() => undefined);
    await syncDirectory(directory);
  }
}

/**
 * Replaces `filePath` with `data` (mode `mode`): temp file, fsync, rename(2) over the old one, so a
 * reader or a crash sees the old file or the new one, never a mix.
 */
export async function replaceFile(filePath: string, data: Buffer, mode: number): Promise<void> {
  const directory = path.dirname(filePath);
  const tempPath = path.join(directory, `.${path.basename(filePath)}.${randomBytes(8).toString('hex')}.tmp`);
  await writeAndSync(tempPath, data, mode);
  try {
    await rename(tempPath, filePath);
  } catch (error) {
    await unlink(tempPath).catch(() => undefined);
    throw error;
  }
  await syncDirectory(directory);
}

async function writeAndSync(filePath: string, data: Buffer, mode: number): Promise<void> {
  const handle = await open(filePath, 'wx', mode);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function publishWithoutOverwriting(tempPath: string, filePath: string): Promise<boolean> {
  try {
    await link(tempPath, filePath);
    return true;
  } catch (error) {
    if (hasErrorCode(error, 'EEXIST')) return false;
    if (!hasErrorCode(error, 'EPERM') && !hasErrorCode(error, 'ENOTSUP') && !hasErrorCode(error, 'ENOSYS')) throw error;
  }
  // Filesystems without hard links: rename after an existence check (a narrow race, still never a torn file).
  if (await exists(filePath)) return false;
  await rename(tempPath, filePath);
  return true;
}

/** Makes the new directory entry durable; some platforms cannot fsync a directory, which we accept. */
async function syncDirectory(directory: string): Promise<void> {
  try {
    const handle = await open(directory, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Best effort: the file contents were already synced before publishing.
  }
}

async function exists(filePath: string): Promise<boolean> {
  try {
    await stat(filePath);
    return true;
  } catch (error) {
    if (hasErrorCode(error, 'ENOENT')) return false;
    throw error;
  }
}

export function hasErrorCode(error: unknown, code: string): boolean {
  return error instanceof Error && 'code' in error && error.code === code;
}
