import type { DetectedSpan } from './detected-span.js';
import { findDigitRuns } from './digit-groups.js';
import { describeEnding } from './masking.js';
import { hasValidVerhoeffCheckDigit } from './verhoeff.js';

/**
 * Aadhaar numbers: twelve digits written whole or as 4-4-4, not starting with 0 or 1 (UIDAI never
 * issues those), with a valid Verhoeff check digit. Only a digit run that is exactly that shape
 * counts: twelve digits cut out of a longer number are not an Aadhaar number.
 */
export function findAadhaarNumbers(text: string): DetectedSpan[] {
  const found: DetectedSpan[] = [];
  for (const groups of findDigitRuns(text)) {
    const lengths = groups.map((group) => group.digits.length).join(',');
    if (lengths !== '12' && lengths !== '4,4,4') continue;
    const digits = groups.map((group) => group.digits).join('');
    if (!/^[2-9]/.test(digits) || !hasValidVerhoeffCheckDigit(digits)) continue;
    found.push({ start: groups[0]!.start, end: groups[groups.length - 1]!.end, description: `an Aadhaar number (${describeEnding(digits)})` });
  }
  return found;
}
