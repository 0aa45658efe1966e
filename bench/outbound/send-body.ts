/**
 * What every phase sends: the seeded `hello_world` template (no parameters, so no 24-hour window
 * is needed), each message to its own recipient, so a duplicate at the emulator is a repeated
 * recipient and the emulator's pair-rate limit never applies.
 */
export const TEMPLATE = { name: 'hello_world', language: { code: 'en_US' } } as const;

/** German mobile prefixes (+49 151, 152, 157, …) followed by 8 digits: possible numbers for libphonenumber and Meta. */
export type RecipientPrefix = '49151' | '49152' | '49157' | typeof WARM_UP_PREFIX;

/** Recipients of the emulator's warm-up sends, which no phase counts. */
export const WARM_UP_PREFIX = '49160';

export function recipientOf(prefix: RecipientPrefix, index: number): string {
  if (index < 0 || index >= 100_000_000) throw new RangeError('at most 100,000,000 recipients per prefix');
  return `${prefix}${String(index).padStart(8, '0')}`;
}

/** The body of `POST /api/v1/messages` (Rampart's API takes the number in international form). */
export function buildApiBody(prefix: RecipientPrefix, index: number): string {
  return JSON.stringify({ to: `+${recipientOf(prefix, index)}`, type: 'template', template: TEMPLATE });
}

/** The Graph API body, as the gateway's sender builds it (`src/outbound/send-job.ts`). */
export function buildGraphBody(prefix: RecipientPrefix, index: number): string {
  return JSON.stringify({ messaging_product: 'whatsapp', recipient_type: 'individual', to: recipientOf(prefix, index), type: 'template', template: TEMPLATE });
}
