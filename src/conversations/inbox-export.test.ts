import { describe, expect, it } from 'vitest';
import { toCsvCell } from './inbox-export.js';

describe('CSV cells of an export', () => {
  it('prefixes every cell a spreadsheet would evaluate with an apostrophe', () => {
    expect(toCsvCell('=1+1')).toBe("'=1+1");
    expect(toCsvCell('+49 151')).toBe("'+49 151");
    expect(toCsvCell('-5')).toBe("'-5");
    expect(toCsvCell('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(toCsvCell('\t=1')).toBe("'\t=1");
    expect(toCsvCell('\r=1')).toBe(`"'\r=1"`);
  });

  it('sees a formula behind leading spaces and control characters, and quotes cells a locale could split on ;', () => {
    expect(toCsvCell(' =1+1')).toBe("' =1+1");
    expect(toCsvCell('\u00a0=1+1')).toBe("'\u00a0=1+1");
    expect(toCsvCell('\u0000=1+1')).toBe("'\u0000=1+1");
    expect(toCsvCell('\n=1+1')).toBe(`"'\n=1+1"`);
    expect(toCsvCell('ok;@SUM(1)')).toBe('"ok;@SUM(1)"');
    expect(toCsvCell('   ')).toBe('   ');
  });

  it('quotes per RFC 4180 after escaping, and leaves ordinary text alone', () => {
    expect(toCsvCell('=HYPERLINK("http://x","y")')).toBe(`"'=HYPERLINK(""http://x"",""y"")"`);
    expect(toCsvCell('a, b')).toBe('"a, b"');
    expect(toCsvCell('two\nlines')).toBe('"two\nlines"');
    expect(toCsvCell('1 + 1 = 2')).toBe('1 + 1 = 2');
    expect(toCsvCell('')).toBe('');
  });
});
