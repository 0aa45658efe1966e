import { hasValidLuhnCheckDigit, identifyCardNetwork } from './card-networks.js';
import type { DetectedSpan } from './detected-span.js';
import { findDigitWindows } from './digit-groups.js';
import { describeEnding } from './masking.js';

/** Payment card numbers: 13–19 digits (spaces or dashes between groups), a known IIN range, a valid Luhn digit. */
export function findCardNumbers(text: string): DetectedSpan[] {
  return findDigitWindows(text, 13, 19, (window) => hasValidLuhnCheckDigit(window.digits) && identifyCardNetwork(window.digits) !== null).map(
    (window) => {
      const network = identifyCardNetwork(window.digits)!;
      return { start: window.start, end: window.end, description: `${/^[AEIOU]/.test(network) ? 'an' : 'a'} ${network} card number (${describeEnding(window.digits)})` };
    },
  );
}
