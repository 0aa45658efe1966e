const openBrace = 0x7b;
const closeBrace = 0x7d;
const openBracket = 0x5b;
const closeBracket = 0x5d;
const quote = 0x22;
const backslash = 0x5c;

/**
 * Returns false when arrays/objects in the raw JSON nest deeper than `limit` (a top-level
 * object is depth 1). One linear pass over the bytes, so a hostile body is refused before
 * JSON.parse recurses into it. Brackets inside strings do not count.
 */
export function measureJsonDepth(raw: Buffer, limit: number): boolean {
  let depth = 0;
  let isInString = false;
  for (let index = 0; index < raw.length; index += 1) {
    const byte = raw[index];
    if (isInString) {
      if (byte === backslash) index += 1; // skip the escaped byte, whatever it is (\" or \\)
      else if (byte === quote) isInString = false;
      continue;
    }
    if (byte === quote) isInString = true;
    else if (byte === openBrace || byte === openBracket) {
      depth += 1;
      if (depth > limit) return false;
    } else if (byte === closeBrace || byte === closeBracket) {
      depth -= 1;
    }
  }
  return true;
}
