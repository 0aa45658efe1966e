import { describe, expect, it } from 'vitest';
import { findIndianPans } from './indian-pan-detector.js';

describe('findIndianPans', () => {
  it('finds PANs of people and companies, naming the holder type and the last four characters', () => {
    expect(findIndianPans('PAN ABCPE1234F on file').map((found) => found.description)).toEqual(['an Indian PAN (holder type person, ending in 234F)']);
    expect(findIndianPans('AAACB5678K').map((found) => found.description)).toEqual(['an Indian PAN (holder type company, ending in 678K)']);
    expect(findIndianPans('pan: abcpe1234f')).toHaveLength(1);
  });

  it('ignores ten-character codes whose fourth letter is no PAN holder type', () => {
    expect(findIndianPans('ABCXE1234F')).toEqual([]);
    expect(findIndianPans('SKUDE1234Z')).toEqual([]);
  });

  it('ignores the serial 0000, which is never issued', () => {
    expect(findIndianPans('ABCPE0000F')).toEqual([]);
  });

  it('ignores a PAN-shaped part of a longer code', () => {
    expect(findIndianPans('XABCPE1234F')).toEqual([]);
    expect(findIndianPans('ABCPE1234F9')).toEqual([]);
  });
});
