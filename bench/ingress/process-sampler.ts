import { readFileSync } from 'node:fs';

export interface RssSampler {
  /** Stops sampling; the largest resident set seen, in MB (MiB), or null if no sample could be read. */
  stop(): { maxRssMb: number | null; samples: number };
}

const VM_RSS = /^VmRSS:\s+(\d+)\s+kB$/m;

/** Reads VmRSS of `pid` from /proc every `intervalMs` (Linux only; elsewhere it reports null). */
export function sampleRss(pid: number, intervalMs = 200): RssSampler {
  let maxKb: number | null = null;
  let samples = 0;
  const sample = () => {
    const kb = readRssKb(pid);
    if (kb === null) return;
    samples += 1;
    maxKb = Math.max(maxKb ?? 0, kb);
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return { maxRssMb: maxKb === null ? null : maxKb / 1024, samples };
    },
  };
}

function readRssKb(pid: number): number | null {
  try {
    const match = VM_RSS.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : null;
  } catch {
    // The process is gone or this is not Linux.
    return null;
  }
}
