/**
 * Text as the detectors read it. Look-alike characters are folded so that "４１１１…" (full-width),
 * "pass\u200Bword" (a zero-width space) or Devanagari digits cannot slip a value past a pattern
 * written for ASCII. Positions in findings are never reported, so changing lengths is harmless.
 */

const formatCharacters = /\p{Cf}/gu;
const nonAsciiDigit = /(?![0-9])\p{Nd}/gu;
const decimalDigit = /^\p{Nd}$/u;

export function normaliseForScanning(text: string): string {
  return text.normalize('NFKC').replace(formatCharacters, '').replace(nonAsciiDigit, toAsciiDigit);
}

/**
 * Unicode lays every script's decimal digits out as consecutive runs of ten, zero first, so a
 * digit's value is its distance from the start of its run, modulo ten (runs may sit back to back).
 */
function toAsciiDigit(digit: string): string {
  const codePoint = digit.codePointAt(0)!;
  let start = codePoint;
  while (decimalDigit.test(String.fromCodePoint(start - 1))) start -= 1;
  return String((codePoint - start) % 10);
}
