import type { DetectedSpan } from './detected-span.js';
import { describeEnding } from './masking.js';

/**
 * The fourth character of a PAN names the holder's type (Income Tax Department, PAN structure);
 * a ten-character code with any other letter there is not a PAN, which rules out most product codes.
 */
const holderTypes: Readonly<Record<string, string>> = {
  P: 'person',
  C: 'company',
  H: 'Hindu undivided family',
  F: 'firm',
  A: 'association of persons',
  T: 'trust',
  B: 'body of individuals',
  L: 'local authority',
  J: 'artificial juridical person',
  G: 'government',
};

// AAA (series) + holder type + initial of the name + 0001–9999 + check letter.
const panPattern = /(?<![A-Za-z0-9])[A-Z]{3}([PCHFATBLJG])[A-Z](?!0000)\d{4}[A-Z](?![A-Za-z0-9])/gi;

export function findIndianPans(text: string): DetectedSpan[] {
  return [...text.matchAll(panPattern)].map((match) => ({
    start: match.index,
    end: match.index + match[0].length,
    description: `an Indian PAN (holder type ${holderTypes[match[1]!.toUpperCase()]}, ${describeEnding(match[0])})`,
  }));
}
