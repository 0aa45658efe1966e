import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readdirSync, rmSync, statSync, truncateSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * A place for a gateway's data dir that a test can fill up and free again:
 * - `tmpfs`: a small tmpfs mounted there (needs root and mount rights);
 * - `loop-ext4`: a small ext4 image mounted through a loop device (root, a free loop device);
 * - `rlimit-fsize`: no filesystem of its own; "full" means the gateway's RLIMIT_FSIZE is lowered
 *   (prlimit) to the size of its largest file, so files cannot grow: writes fail with EFBIG,
 *   which SQLite reports as an I/O error rather than SQLITE_FULL. The closest to a full disk
 *   without mount rights.
 * The first that works here is used; RAMPART_TEST_DISK_FULL_METHOD forces one.
 */
export type DiskFullMethod = 'tmpfs' | 'loop-ext4' | 'rlimit-fsize';

export interface SmallFilesystem {
  readonly method: DiskFullMethod;
  /** An empty directory on it, for the data dir. */
  readonly dir: string;
  /** Leaves no room to write more: for everyone (a filler file), or for process `pid` (rlimit-fsize). */
  fill(pid: number): { fillerBytes: number; limitBytes: number | null };
  /** Gives the room back. */
  free(pid: number): void;
  /** Unmounts and removes everything. */
  destroy(): void;
}

const SIZE_BYTES = 16 * 1024 * 1024;
const METHODS: readonly DiskFullMethod[] = ['tmpfs', 'loop-ext4', 'rlimit-fsize'];

/** The first method that works here, and why the ones before it did not; no filesystem when none works. */
export function tryCreateSmallFilesystem(): { filesystem: SmallFilesystem | null; tried: Record<string, string>; why: string } {
  const forced = process.env.RAMPART_TEST_DISK_FULL_METHOD as DiskFullMethod | undefined;
  if (forced && !METHODS.includes(forced)) throw new Error(`RAMPART_TEST_DISK_FULL_METHOD must be one of ${METHODS.join(', ')}`);
  const tried: Record<string, string> = {};
  for (const method of forced ? [forced] : METHODS) {
    try {
      return { filesystem: create(method), tried, why: '' };
    } catch (error) {
      tried[method] = (error as Error).message.split('\n')[0]!;
    }
  }
  return { filesystem: null, tried, why: JSON.stringify(tried) };
}

function create(method: DiskFullMethod): SmallFilesystem {
  const root = mkdtempSync(path.join(tmpdir(), `rampart-disk-${method}-`));
  const mountPoint = path.join(root, 'mnt');
  mkdirSync(mountPoint);
  try {
    if (method === 'tmpfs') execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${SIZE_BYTES},mode=0700`, 'tmpfs', mountPoint], { stdio: 'pipe' });
    if (method === 'loop-ext4') {
      const image = path.join(root, 'disk.img');
      closeSync(openSync(image, 'w'));
      truncateSync(image, SIZE_BYTES);
      execFileSync('mkfs.ext4', ['-q', '-F', '-m', '0', image], { stdio: 'pipe' });
      execFileSync('mount', ['-o', 'loop', image, mountPoint], { stdio: 'pipe' });
    }
    if (method === 'rlimit-fsize') execFileSync('prlimit', ['--version'], { stdio: 'pipe' });
  } catch (error) {
    rmSync(root, { recursive: true, force: true });
    throw error;
  }
  const isMounted = method !== 'rlimit-fsize';
  const dir = path.join(mountPoint, 'data');
  mkdirSync(dir, { mode: 0o700 });
  const filler = path.join(mountPoint, 'filler');
  // A mount must not outlive the test process, even when it dies mid-test.
  const detach = () => {
    try {
      if (isMounted) execFileSync('umount', ['-l', mountPoint], { stdio: 'ignore' });
    } catch {
      // Best effort on the way out.
    }
  };
  process.on('exit', detach);
  return {
    method,
    dir,
    fill(pid) {
      if (!isMounted) {
        const limitBytes = Math.max(...readdirSync(dir).map((name) => statSync(path.join(dir, name)).size));
        execFileSync('prlimit', ['--pid', String(pid), `--fsize=${limitBytes}:unlimited`], { stdio: 'pipe' });
        return { fillerBytes: 0, limitBytes };
      }
      return { fillerBytes: fillUp(filler), limitBytes: null };
    },
    free(pid) {
      if (!isMounted) execFileSync('prlimit', ['--pid', String(pid), '--fsize=unlimited:unlimited'], { stdio: 'pipe' });
      else unlinkSync(filler);
    },
    destroy() {
      process.off('exit', detach);
      if (isMounted) {
        try {
          execFileSync('umount', [mountPoint], { stdio: 'pipe' });
        } catch {
          // Still busy (a process that has not exited yet): detach it now, it goes when they close.
          execFileSync('umount', ['-l', mountPoint], { stdio: 'pipe' });
        }
      }
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** Writes until the filesystem refuses (ENOSPC), in big chunks then in single pages. */
function fillUp(file: string): number {
  const descriptor = openSync(file, 'w');
  let written = 0;
  try {
    for (const chunk of [Buffer.alloc(1024 * 1024, 0xaa), Buffer.alloc(4096, 0xaa), Buffer.alloc(512, 0xaa)]) {
      for (;;) {
        try {
          written += writeSync(descriptor, chunk);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'ENOSPC') break;
          throw error;
        }
      }
    }
  } finally {
    closeSync(descriptor);
  }
  return written;
}
