import fc from 'fast-check';

/**
 * Any text: every code point including lone surrogates, controls and combining marks. Built
 * from code points because fast-check's `unit: 'binary'` spends seconds building its tables.
 */
export function anyText(maxLength = 60): fc.Arbitrary<string> {
  const codePoint = fc.oneof(
    { weight: 3, arbitrary: fc.integer({ min: 0x20, max: 0x7e }) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 0x10ffff }) },
  );
  return fc.array(codePoint, { maxLength }).map((points) => String.fromCodePoint(...points));
}
