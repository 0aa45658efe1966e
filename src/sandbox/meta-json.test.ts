import { describe, expect, it } from 'vitest';
import { serialiseLikeMeta } from './meta-json.js';

describe('serialiseLikeMeta', () => {
  it('escapes non-ASCII as lowercase \\u and emoji as surrogate pairs', () => {
    expect(serialiseLikeMeta({ body: 'Grüße 😀' })).toBe('{"body":"Gr\\u00fc\\u00dfe \\ud83d\\ude00"}');
  });

  it('escapes every slash, and the result parses back to the same value', () => {
    const value = { url: 'https://example.com/a/b', text: '</script> ✓' };
    const serialised = serialiseLikeMeta(value);
    expect(serialised).not.toMatch(/[^\\]\//);
    expect(serialised).toMatch(/^[\x20-\x7e]*$/);
    expect(JSON.parse(serialised)).toEqual(value);
  });

  it('keeps escapes JSON.stringify already made (quotes, backslashes, control characters)', () => {
    const value = { text: 'a "quote" \\ back\nslash\u0001' };
    expect(JSON.parse(serialiseLikeMeta(value))).toEqual(value);
  });
});
