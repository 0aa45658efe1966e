import { findPhoneNumbersInText } from 'libphonenumber-js';
import type { CountryCode } from 'libphonenumber-js';
import type { DetectedSpan } from './detected-span.js';
import { describeEnding } from './masking.js';

/**
 * Contact details in free text. An address or number written into a template or a parameter is
 * sent to Meta and kept in the chat; a variable (for the business's own, a PHONE_NUMBER button)
 * or a token keeps the personal one out.
 */

// Deliberately plain: what a person would read as an address; quoted or IP-literal forms are not worth the false positives.
const emailAddress = /(?<![\w.%+-])[A-Za-z0-9](?:[\w.%+-]{0,62}[A-Za-z0-9_%+-])?@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}(?![\w-])/g;

export function findEmailAddresses(text: string): DetectedSpan[] {
  return [...text.matchAll(emailAddress)].map((match) => ({ start: match.index, end: match.index + match[0].length, description: 'an e-mail address' }));
}

/**
 * Phone numbers as libphonenumber-js finds them (its "valid" leniency: the number must be valid
 * for its region). Without a default country only numbers in international form (+…) are found;
 * with one, national forms too, at the price of dates and ids that happen to be valid numbers.
 */
export function findPhoneNumbers(text: string, defaultCountry: CountryCode | undefined): DetectedSpan[] {
  const found = defaultCountry ? findPhoneNumbersInText(text, { defaultCountry }) : findPhoneNumbersInText(text);
  return found
    .filter((match) => match.number.isValid())
    .map((match) => ({ start: match.startsAt, end: match.endsAt, description: `a phone number (${describeEnding(match.number.number)})` }));
}
