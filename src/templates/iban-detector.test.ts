import { describe, expect, it } from 'vitest';
import { findIbans, hasValidIbanChecksum } from './iban-detector.js';

describe('IBAN mod-97 checksum', () => {
  it('accepts the registry\'s example IBANs and refuses a changed digit or swapped pair', () => {
    for (const iban of ['DE89370400440532013000', 'GB82WEST12345698765432', 'FR1420041010050500013M02606', 'NL91ABNA0417164300', 'NO9386011117947', 'SA0380000000608010167519']) {
      expect(hasValidIbanChecksum(iban)).toBe(true);
    }
    expect(hasValidIbanChecksum('DE89370400440532013001')).toBe(false);
    expect(hasValidIbanChecksum('DE89370400440532010300')).toBe(false);
    expect(hasValidIbanChecksum('de89370400440532013000')).toBe(false);
  });
});

describe('findIbans', () => {
  it('finds an IBAN written whole, in groups of four, or in lower case, naming its country and last four characters', () => {
    expect(findIbans('pay to DE89370400440532013000 today').map((found) => found.description)).toEqual(['an IBAN (DE, ending in 3000)']);
    expect(findIbans('IBAN: GB82 WEST 1234 5698 7654 32.').map((found) => found.description)).toEqual(['an IBAN (GB, ending in 5432)']);
    expect(findIbans('fr14 2004 1010 0505 0001 3m02 606')).toHaveLength(1);
  });

  it('ignores an IBAN-shaped code with a wrong checksum, a wrong length for its country, or an unknown country', () => {
    expect(findIbans('DE89 3704 0044 0532 0130 01')).toEqual([]);
    expect(findIbans('DE89 3704 0044 0532 0130')).toEqual([]);
    expect(findIbans('ZZ89370400440532013000')).toEqual([]);
  });

  it('ignores an IBAN glued to more letters or digits, which makes it a different code', () => {
    expect(findIbans('DE8937040044053201300012')).toEqual([]);
    expect(findIbans('XDE89370400440532013000')).toEqual([]);
  });

  it('stops at the IBAN\'s length: words after it are not read as part of it', () => {
    expect(findIbans('DE89 3704 0044 0532 0130 00 and more')).toHaveLength(1);
  });

  it('ignores product codes and sentences that merely start like an IBAN', () => {
    expect(findIbans('Model DE12 is in stock')).toEqual([]);
    expect(findIbans('NL91 ships in 3 days')).toEqual([]);
  });
});
