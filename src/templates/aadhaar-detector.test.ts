import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { findAadhaarNumbers } from './aadhaar-detector.js';
import { computeVerhoeffCheckDigit, hasValidVerhoeffCheckDigit } from './verhoeff.js';

function validAadhaar(first11: string): string {
  return `${first11}${computeVerhoeffCheckDigit(first11)}`;
}

describe('Verhoeff check digit', () => {
  it('matches the published vectors (236 → 3, 12345 → 1, 123456789012 → 0) and refuses other endings', () => {
    expect(computeVerhoeffCheckDigit('236')).toBe(3);
    expect(computeVerhoeffCheckDigit('12345')).toBe(1);
    // Thirteen digits: every row of the permutation table takes part.
    expect(computeVerhoeffCheckDigit('123456789012')).toBe(0);
    expect(hasValidVerhoeffCheckDigit('2363')).toBe(true);
    expect(hasValidVerhoeffCheckDigit('2364')).toBe(false);
    expect(hasValidVerhoeffCheckDigit('1234567890120')).toBe(true);
  });

  it('catches every single-digit substitution and every adjacent swap of different digits', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^\d{11}$/), fc.nat(11), fc.integer({ min: 1, max: 9 }), (digits, position, delta) => {
        const valid = `${digits}${computeVerhoeffCheckDigit(digits)}`;
        const changed = `${valid.slice(0, position)}${(Number(valid[position]) + delta) % 10}${valid.slice(position + 1)}`;
        expect(hasValidVerhoeffCheckDigit(changed)).toBe(false);
        const swapAt = position % 11;
        if (valid[swapAt] !== valid[swapAt + 1]) {
          const swapped = `${valid.slice(0, swapAt)}${valid[swapAt + 1]}${valid[swapAt]}${valid.slice(swapAt + 2)}`;
          expect(hasValidVerhoeffCheckDigit(swapped)).toBe(false);
        }
      }),
    );
  });
});

describe('findAadhaarNumbers', () => {
  const aadhaar = validAadhaar('23456789012');

  it('finds an Aadhaar number written whole or as 4-4-4, naming only its last four digits', () => {
    expect(findAadhaarNumbers(`Aadhaar ${aadhaar}`).map((found) => found.description)).toEqual([`an Aadhaar number (ending in ${aadhaar.slice(-4)})`]);
    const grouped = `${aadhaar.slice(0, 4)} ${aadhaar.slice(4, 8)} ${aadhaar.slice(8)}`;
    expect(findAadhaarNumbers(`UID: ${grouped}.`)).toHaveLength(1);
    expect(findAadhaarNumbers(grouped.replace(/ /g, '-'))).toHaveLength(1);
  });

  it('ignores twelve digits starting with 0 or 1, which UIDAI never issues', () => {
    expect(findAadhaarNumbers(validAadhaar('03456789012'))).toEqual([]);
    expect(findAadhaarNumbers(validAadhaar('13456789012'))).toEqual([]);
  });

  it('ignores twelve digits with a wrong check digit', () => {
    const wrong = `${aadhaar.slice(0, 11)}${(Number(aadhaar[11]) + 1) % 10}`;
    expect(findAadhaarNumbers(wrong)).toEqual([]);
  });

  it('ignores the masked form UIDAI allows and twelve digits cut out of a longer number', () => {
    expect(findAadhaarNumbers(`XXXX XXXX ${aadhaar.slice(-4)}`)).toEqual([]);
    expect(findAadhaarNumbers(`9${aadhaar}`)).toEqual([]);
    expect(findAadhaarNumbers(`${aadhaar.slice(0, 4)} ${aadhaar.slice(4, 8)} ${aadhaar.slice(8)} 5678`)).toEqual([]);
  });

  it('ignores other groupings of twelve digits (phone-style 3-3-3-3, dates and times)', () => {
    expect(findAadhaarNumbers(`${aadhaar.slice(0, 3)} ${aadhaar.slice(3, 6)} ${aadhaar.slice(6, 9)} ${aadhaar.slice(9)}`)).toEqual([]);
    expect(findAadhaarNumbers('2024-05-10 12:30')).toEqual([]);
  });
});
