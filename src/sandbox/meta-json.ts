/**
 * JSON as Meta serialises webhook bodies: every non-ASCII UTF-16 code unit escaped as lowercase
 * `\uXXXX` (so an emoji becomes its surrogate pair) and `/` as `\/`. The signature covers these
 * exact bytes, so a receiver that re-serialises before checking the HMAC fails, as it would
 * against Meta.
 */
export function serialiseLikeMeta(value: unknown): string {
  return JSON.stringify(value)
    .replace(/[\u0080-\uffff]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`)
    .replace(/\//g, '\\/');
}
