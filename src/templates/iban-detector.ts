import type { DetectedSpan } from './detected-span.js';
import { describeEnding } from './masking.js';

/**
 * IBAN lengths by country, from SWIFT's ISO 13616 IBAN registry (release 2024). A candidate must
 * have its country's exact length and pass the mod-97 check, which rules out nearly every
 * look-alike product code.
 */
const ibanLengths: Readonly<Record<string, number>> = {
  AD: 24, AE: 23, AL: 28, AT: 20, AZ: 28, BA: 20, BE: 16, BG: 22, BH: 22, BI: 27, BR: 29, BY: 28,
  CH: 21, CR: 22, CY: 28, CZ: 24, DE: 22, DJ: 27, DK: 18, DO: 28, EE: 20, EG: 29, ES: 24, FI: 18,
  FK: 18, FO: 18, FR: 27, GB: 22, GE: 22, GI: 23, GL: 18, GR: 27, GT: 28, HR: 21, HU: 28, IE: 22,
  IL: 23, IQ: 23, IS: 26, IT: 27, JO: 30, KW: 30, KZ: 20, LB: 28, LC: 32, LI: 21, LT: 20, LU: 20,
  LV: 21, LY: 25, MC: 27, MD: 24, ME: 22, MK: 19, MN: 20, MR: 27, MT: 31, MU: 30, NI: 28, NL: 18,
  NO: 15, OM: 23, PK: 24, PL: 28, PS: 29, PT: 25, QA: 29, RO: 24, RS: 22, RU: 33, SA: 24, SC: 31,
  SD: 18, SE: 24, SI: 19, SK: 24, SM: 27, SO: 23, ST: 25, SV: 28, TL: 23, TN: 24, TR: 26, UA: 29,
  VA: 22, VG: 24, XK: 20, YE: 30,
};

const ibanStart = /(?<![A-Za-z0-9])([A-Za-z]{2})\d{2}/g;
const alphanumeric = /[A-Za-z0-9]/;

export function findIbans(text: string): DetectedSpan[] {
  const found: DetectedSpan[] = [];
  for (const start of text.matchAll(ibanStart)) {
    if (found.length > 0 && start.index < found[found.length - 1]!.end) continue;
    const length = ibanLengths[start[1]!.toUpperCase()];
    if (length === undefined) continue;
    const candidate = readIbanCharacters(text, start.index, length);
    if (candidate && hasValidIbanChecksum(candidate.iban)) {
      found.push({ start: start.index, end: candidate.end, description: `an IBAN (${candidate.iban.slice(0, 2)}, ${describeEnding(candidate.iban)})` });
    }
  }
  return found;
}

/** Exactly `length` letters and digits from `start`, single spaces allowed between them, then a boundary. */
function readIbanCharacters(text: string, start: number, length: number): { iban: string; end: number } | null {
  let iban = '';
  let position = start;
  while (iban.length < length && position < text.length) {
    const character = text[position]!;
    if (alphanumeric.test(character)) iban += character.toUpperCase();
    else if (!(character === ' ' && iban.length > 0 && alphanumeric.test(text[position + 1] ?? ''))) return null;
    position += 1;
  }
  if (iban.length !== length || alphanumeric.test(text[position] ?? '')) return null;
  return { iban, end: position };
}

/** ISO 13616: move the first four characters to the end, letters become 10–35, the number mod 97 is 1. */
export function hasValidIbanChecksum(iban: string): boolean {
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]+$/.test(iban)) return false;
  const rearranged = iban.slice(4) + iban.slice(0, 4);
  let remainder = 0;
  for (const character of rearranged) {
    const value = character >= 'A' ? character.charCodeAt(0) - 55 : character.charCodeAt(0) - 48;
    // Letters are two digits long; fold them in one at a time so the number never exceeds 2^53.
    remainder = value >= 10 ? (remainder * 100 + value) % 97 : (remainder * 10 + value) % 97;
  }
  return remainder === 1;
}
