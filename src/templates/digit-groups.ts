/**
 * Digit runs as people write them: groups of digits joined by single spaces or dashes
 * ("4111 1111-1111 1111"). Detectors look at windows of whole groups, so a number written next
 * to other numbers ("4111111111111111 12/25") is still seen on its own, while digits glued to
 * more digits are never split in the middle of a group.
 */

export interface DigitGroup {
  digits: string;
  start: number;
  end: number;
}

export interface DigitWindow {
  digits: string;
  start: number;
  end: number;
}

const groupedDigitRun = /\d+(?:[ -]\d+)*/g;
const digitGroup = /\d+/g;

export function findDigitRuns(text: string): DigitGroup[][] {
  const runs: DigitGroup[][] = [];
  for (const run of text.matchAll(groupedDigitRun)) {
    const groups: DigitGroup[] = [];
    for (const group of run[0].matchAll(digitGroup)) {
      const start = run.index + group.index;
      groups.push({ digits: group[0], start, end: start + group[0].length });
    }
    runs.push(groups);
  }
  return runs;
}

/**
 * Windows of consecutive groups holding between `minDigits` and `maxDigits` digits, longest
 * first for each starting group; `accept` picks the ones that are the value sought, and the scan
 * continues after an accepted window so one value is reported once.
 */
export function findDigitWindows(text: string, minDigits: number, maxDigits: number, accept: (window: DigitWindow) => boolean): DigitWindow[] {
  const found: DigitWindow[] = [];
  for (const groups of findDigitRuns(text)) {
    let first = 0;
    while (first < groups.length) {
      const accepted = findLongestAcceptedWindow(groups, first, minDigits, maxDigits, accept);
      if (accepted) {
        found.push(accepted.window);
        first = accepted.nextGroup;
      } else {
        first += 1;
      }
    }
  }
  return found;
}

function findLongestAcceptedWindow(
  groups: readonly DigitGroup[],
  first: number,
  minDigits: number,
  maxDigits: number,
  accept: (window: DigitWindow) => boolean,
): { window: DigitWindow; nextGroup: number } | null {
  const candidates: { window: DigitWindow; nextGroup: number }[] = [];
  let digits = '';
  for (let last = first; last < groups.length; last += 1) {
    digits += groups[last]!.digits;
    if (digits.length > maxDigits) break;
    if (digits.length >= minDigits) candidates.push({ window: { digits, start: groups[first]!.start, end: groups[last]!.end }, nextGroup: last + 1 });
  }
  for (let index = candidates.length - 1; index >= 0; index -= 1) {
    if (accept(candidates[index]!.window)) return candidates[index]!;
  }
  return null;
}
