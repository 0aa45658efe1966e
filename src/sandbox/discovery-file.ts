import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { equalsConstantTime } from '../crypto/primitives.js';

/**
 * `<data dir>/sandbox-emulator.json` tells `rampart sandbox say` where the running emulator
 * listens and which control token it demands. It holds a secret, so it is created 0600 and
 * published atomically (never seen half-written), and removed on close only while it is still
 * this emulator's (another emulator may have replaced it since).
 */
export const DISCOVERY_FILE_NAME = 'sandbox-emulator.json';

export const discoveryRecordSchema = z.object({
  url: z.url({ protocol: /^https?$/ }),
  controlToken: z.string().min(16),
  pid: z.number().int().positive(),
  phoneNumberId: z.string(),
  displayPhoneNumber: z.string(),
});

export type DiscoveryRecord = z.output<typeof discoveryRecordSchema>;

export function discoveryFilePath(dataDir: string): string {
  return path.join(path.resolve(dataDir), DISCOVERY_FILE_NAME);
}

export async function writeDiscoveryFile(dataDir: string, record: DiscoveryRecord): Promise<string> {
  const filePath = discoveryFilePath(dataDir);
  await mkdir(path.dirname(filePath), { recursive: true, mode: 0o700 });
  const tempPath = `${filePath}.${randomBytes(6).toString('hex')}.tmp`;
  const handle = await open(tempPath, 'wx', 0o600);
  try {
    await handle.writeFile(`${JSON.stringify(record, null, 2)}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(tempPath, filePath);
  } catch (error) {
    await unlink(tempPath).catch(() => undefined);
    throw error;
  }
  return filePath;
}

/** Null when no emulator wrote one; throws when the file exists but is not ours to read. */
export async function readDiscoveryFile(dataDir: string): Promise<DiscoveryRecord | null> {
  let text: string;
  try {
    text = await readFile(discoveryFilePath(dataDir), 'utf8');
  } catch (error) {
    if (error instanceof Error && 'code' in error && error.code === 'ENOENT') return null;
    throw error;
  }
  const parsed = discoveryRecordSchema.safeParse(safeJsonParse(text));
  return parsed.success ? parsed.data : null;
}

/** Removes the file if it still names this control token; returns whether it did. */
export async function removeDiscoveryFile(dataDir: string, controlToken: string): Promise<boolean> {
  const current = await readDiscoveryFile(dataDir).catch(() => null);
  // Tokens are compared in constant time, as every secret is, even where nothing is at stake.
  if (!current || !equalsConstantTime(Buffer.from(current.controlToken, 'utf8'), Buffer.from(controlToken, 'utf8'))) return false;
  await unlink(discoveryFilePath(dataDir)).catch(() => undefined);
  return true;
}

function safeJsonParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
