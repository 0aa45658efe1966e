import { randomBytes, randomInt } from 'node:crypto';

/**
 * Identifiers shaped like Meta's. A real wamid is base64 of a small binary record:
 * 0x1c 0x18 <length> <wa_id digits> 0x15 0x02 0x00 <0x11 outbound | 0x12 inbound> 0x18 0x12
 * <18 uppercase hex characters> 0x00. Receivers must treat it as opaque; matching the shape
 * catches code that assumes more (a length, an alphabet without "+" or "/" or "=").
 */
export function createWamid(waId: string, direction: 'inbound' | 'outbound'): string {
  const digits = Buffer.from(waId, 'ascii');
  const unique = Buffer.from(randomBytes(9).toString('hex').toUpperCase(), 'ascii');
  const record = Buffer.concat([
    Buffer.from([0x1c, 0x18, digits.length]),
    digits,
    Buffer.from([0x15, 0x02, 0x00, direction === 'outbound' ? 0x11 : 0x12, 0x18, unique.length]),
    unique,
    Buffer.from([0x00]),
  ]);
  return `wamid.${record.toString('base64')}`;
}

/** Graph object ids (media, templates) are 15-digit decimal strings, safe as JSON numbers too. */
export function createNumericId(): string {
  return String(randomInt(100_000_000_000_000, 281_474_976_710_655));
}

/** Graph errors carry an opaque trace id that support can look up. */
export function createFbtraceId(): string {
  return `A${randomBytes(17).toString('base64url').slice(0, 22)}`;
}

/** Secrets of one emulator run (control token, media URL key). */
export function createSecretToken(): string {
  return randomBytes(32).toString('base64url');
}
