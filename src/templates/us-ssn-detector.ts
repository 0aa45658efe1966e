import type { DetectedSpan } from './detected-span.js';
import { findDigitRuns } from './digit-groups.js';
import type { DigitGroup } from './digit-groups.js';
import { describeEnding } from './masking.js';

/**
 * US Social Security numbers. Written 3-2-4 with one kind of separator, or as nine bare digits
 * only right after words that say what they are ("SSN", "social security"): nine bare digits are
 * too often order or phone numbers. Numbers the SSA never issues are ignored: area 000, 666 or
 * 900–999, group 00, serial 0000, and the two numbers voided after appearing in advertising.
 */
const voidedNumbers = new Set(['078051120', '219099999']);
const ssnContext = /(?:\bSSN|\bSS#|social\s+security(?:\s+(?:number|no\.?|#))?)\s*[:#]?\s*$/i;

export function findUsSocialSecurityNumbers(text: string): DetectedSpan[] {
  const found: DetectedSpan[] = [];
  for (const groups of findDigitRuns(text)) {
    if (!isWrittenAsSsn(text, groups)) continue;
    const digits = groups.map((group) => group.digits).join('');
    if (!isIssuableSsn(digits)) continue;
    found.push({ start: groups[0]!.start, end: groups[groups.length - 1]!.end, description: `a US social security number (${describeEnding(digits)})` });
  }
  return found;
}

function isWrittenAsSsn(text: string, groups: readonly DigitGroup[]): boolean {
  const lengths = groups.map((group) => group.digits.length).join(',');
  if (lengths === '3,2,4') return text.slice(groups[0]!.end, groups[1]!.start) === text.slice(groups[1]!.end, groups[2]!.start);
  return lengths === '9' && ssnContext.test(text.slice(Math.max(0, groups[0]!.start - 40), groups[0]!.start));
}

export function isIssuableSsn(digits: string): boolean {
  if (!/^\d{9}$/.test(digits) || voidedNumbers.has(digits)) return false;
  const area = digits.slice(0, 3);
  return area !== '000' && area !== '666' && area[0] !== '9' && digits.slice(3, 5) !== '00' && digits.slice(5) !== '0000';
}
