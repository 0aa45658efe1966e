import { describe, expect, it } from 'vitest';
import { findUsSocialSecurityNumbers, isIssuableSsn } from './us-ssn-detector.js';

describe('isIssuableSsn', () => {
  it('refuses area 000, 666 and 900–999, group 00, serial 0000 and the voided advertising numbers', () => {
    expect(isIssuableSsn('536904399')).toBe(true);
    for (const digits of ['000123456', '666123456', '900123456', '999123456', '123004567', '123450000', '078051120', '219099999']) {
      expect(isIssuableSsn(digits)).toBe(false);
    }
  });
});

describe('findUsSocialSecurityNumbers', () => {
  it('finds 3-2-4 numbers with dashes or spaces, naming only the last four digits', () => {
    expect(findUsSocialSecurityNumbers('SSN 536-90-4399').map((found) => found.description)).toEqual(['a US social security number (ending in 4399)']);
    expect(findUsSocialSecurityNumbers('536 90 4399')).toHaveLength(1);
  });

  it('finds nine bare digits only when words before them say it is a social security number', () => {
    expect(findUsSocialSecurityNumbers('Social Security Number: 536904399')).toHaveLength(1);
    expect(findUsSocialSecurityNumbers('SSN#536904399')).toHaveLength(1);
    expect(findUsSocialSecurityNumbers('order 536904399 shipped')).toEqual([]);
  });

  it('ignores numbers never issued, mixed separators, phone numbers and dates', () => {
    for (const text of ['666-12-3456', '912-34-5678', '536-00-4399', '536-90-0000', '536-90 4399', '650-308-7300', '2024-05-10', '078-05-1120']) {
      expect(findUsSocialSecurityNumbers(text)).toEqual([]);
    }
  });
});
