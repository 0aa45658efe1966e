/** How fast sends reached the emulator, from the moments it answered them. */
export interface SendRate {
  /** Sends answered 200. */
  count: number;
  /** From the first answered send to the last. */
  firstToLastSeconds: number;
  /** (count − 1) ÷ first-to-last: n sends span n − 1 gaps, so a steady 80/s reads 80 exactly. */
  perSecond: number | null;
  /** The same from the first send after the first second: without start-up (JIT, a governor's initial burst). */
  steadyPerSecond: number | null;
  /** The most sends inside any one-second window (the governor allows rate + 5 %). */
  maxInOneSecond: number;
  /** Sends in each whole second after the first send (warm-up, stalls and tail show here). */
  perSecondTimeline: number[];
}

/** `acceptedAt` holds `performance.now()` values in answer order (ascending). */
export function measureSendRate(acceptedAt: readonly number[]): SendRate {
  const count = acceptedAt.length;
  if (count === 0) return { count, firstToLastSeconds: 0, perSecond: null, steadyPerSecond: null, maxInOneSecond: 0, perSecondTimeline: [] };
  const spanMs = acceptedAt[count - 1]! - acceptedAt[0]!;
  return {
    count,
    firstToLastSeconds: spanMs / 1000,
    perSecond: count > 1 && spanMs > 0 ? ((count - 1) * 1000) / spanMs : null,
    steadyPerSecond: measureAfterFirstSecond(acceptedAt),
    maxInOneSecond: countMostInWindow(acceptedAt, 1000),
    perSecondTimeline: countPerSecond(acceptedAt),
  };
}

function measureAfterFirstSecond(times: readonly number[]): number | null {
  const start = times.findIndex((time) => time >= times[0]! + 1000);
  if (start === -1 || start >= times.length - 1) return null;
  const spanMs = times.at(-1)! - times[start]!;
  return spanMs > 0 ? ((times.length - 1 - start) * 1000) / spanMs : null;
}

function countPerSecond(times: readonly number[]): number[] {
  const timeline: number[] = [];
  for (const time of times) {
    const second = Math.floor((time - times[0]!) / 1000);
    timeline[second] = (timeline[second] ?? 0) + 1;
  }
  return Array.from(timeline, (count) => count ?? 0);
}

/** Two pointers over the sorted times: the largest number of them in any half-open window of `windowMs`. */
function countMostInWindow(times: readonly number[], windowMs: number): number {
  let most = 0;
  let start = 0;
  for (let end = 0; end < times.length; end += 1) {
    while (times[end]! - times[start]! >= windowMs) start += 1;
    most = Math.max(most, end - start + 1);
  }
  return most;
}
