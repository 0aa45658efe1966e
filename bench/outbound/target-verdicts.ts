import type { GatewayPhaseName } from './outbound-settings.js';
import type { PhaseReport } from './phase-measure.js';

/** Sends per second the unthrottled gateway must reach (issue: "≥ 5,000/s"). */
export const UNTHROTTLED_TARGET_PER_SECOND = 5_000;
/** How far the measured rate under a limit may stray from the limit. */
export const RATE_TOLERANCE_PERCENT = 2;

export interface UnthrottledVerdict {
  phase: GatewayPhaseName;
  sendsPerSecond: number | null;
  /** Sends per second ÷ the baseline's: the share of the emulator's ceiling the gateway reaches. */
  ratioToBaseline: number | null;
  isMet: boolean;
}

export interface LimitedVerdict {
  phase: GatewayPhaseName;
  limitPerSecond: number;
  /** First to last send: what the verdict is about. */
  measuredPerSecond: number | null;
  deviationPercent: number | null;
  /** After the first second (the governor's initial burst of 5 % and start-up left out). */
  steadyPerSecond: number | null;
  maxInOneSecond: number | null;
  isMet: boolean;
}

export interface TargetVerdicts {
  unthrottled: UnthrottledVerdict[];
  limited: LimitedVerdict[];
}

/** Missed targets are reported, never failed: a benchmark reports, tests assert. */
export function judgeTargets(phases: readonly PhaseReport[]): TargetVerdicts {
  const baseline = phases.find((phase) => phase.name === 'baseline')?.rate?.perSecond ?? null;
  const verdicts: TargetVerdicts = { unthrottled: [], limited: [] };
  for (const phase of phases) {
    if (phase.name === 'baseline') continue;
    const rate = phase.rate?.perSecond ?? null;
    const limit = phase.rateLimitPerSecond ?? 0;
    if (limit === 0) {
      verdicts.unthrottled.push({
        phase: phase.name,
        sendsPerSecond: rate,
        ratioToBaseline: rate !== null && baseline !== null && baseline > 0 ? rate / baseline : null,
        isMet: rate !== null && rate >= UNTHROTTLED_TARGET_PER_SECOND,
      });
      continue;
    }
    const deviation = rate === null ? null : (100 * (rate - limit)) / limit;
    verdicts.limited.push({
      phase: phase.name,
      limitPerSecond: limit,
      measuredPerSecond: rate,
      deviationPercent: deviation,
      steadyPerSecond: phase.rate?.steadyPerSecond ?? null,
      maxInOneSecond: phase.rate?.maxInOneSecond ?? null,
      isMet: deviation !== null && Math.abs(deviation) <= RATE_TOLERANCE_PERCENT,
    });
  }
  return verdicts;
}

export function formatVerdicts({ unthrottled, limited }: TargetVerdicts): string[] {
  const lines: string[] = [];
  if (unthrottled.length > 0) lines.push(`Unthrottled (target ≥ ${UNTHROTTLED_TARGET_PER_SECOND} sends/s):`);
  for (const verdict of unthrottled) {
    const rate = verdict.sendsPerSecond === null ? 'n/a' : `${verdict.sendsPerSecond.toFixed(0)} sends/s`;
    const ratio = verdict.ratioToBaseline === null ? 'no baseline' : `${verdict.ratioToBaseline.toFixed(2)} of the baseline`;
    lines.push(`  ${verdict.phase.padEnd(29)} ${rate}, ${ratio}  ${verdict.isMet ? 'met' : 'MISSED'}`);
  }
  if (limited.length > 0) lines.push(`Under a rate limit (target within ±${RATE_TOLERANCE_PERCENT} % of the limit):`);
  for (const verdict of limited) {
    const measured = verdict.measuredPerSecond === null ? 'n/a' : `${verdict.measuredPerSecond.toFixed(2)} sends/s`;
    const deviation = verdict.deviationPercent === null ? '' : ` (${verdict.deviationPercent >= 0 ? '+' : ''}${verdict.deviationPercent.toFixed(2)} %)`;
    const steady = verdict.steadyPerSecond === null ? '' : `; ${verdict.steadyPerSecond.toFixed(2)} after the first second`;
    const window = verdict.maxInOneSecond === null ? '' : `; at most ${verdict.maxInOneSecond} in any 1 s`;
    lines.push(`  ${verdict.phase.padEnd(29)} limit ${verdict.limitPerSecond}: ${measured}${deviation}${steady}${window}  ${verdict.isMet ? 'met' : 'MISSED'}`);
  }
  return lines;
}
