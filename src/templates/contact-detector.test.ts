import { describe, expect, it } from 'vitest';
import { findEmailAddresses, findPhoneNumbers } from './contact-detector.js';

describe('findEmailAddresses', () => {
  it('finds addresses in text without naming them', () => {
    expect(findEmailAddresses('write to ada.lovelace+orders@example.co.uk today')).toEqual([{ start: 9, end: 42, description: 'an e-mail address' }]);
    expect(findEmailAddresses('a@b.io, c_d@e-f.com')).toHaveLength(2);
  });

  it('ignores handles, template variables and words with @', () => {
    for (const text of ['follow @shop on social', '{{1}}@{{2}}', 'meet @ 5pm', 'user@localhost']) expect(findEmailAddresses(text)).toEqual([]);
  });
});

describe('findPhoneNumbers', () => {
  it('finds numbers in international form and names only the last four digits', () => {
    expect(findPhoneNumbers('Call +1 650-308-7300 now', undefined).map((found) => found.description)).toEqual(['a phone number (ending in 7300)']);
    expect(findPhoneNumbers('WhatsApp +49 151 12345678', undefined)).toHaveLength(1);
  });

  it('without a default country, does not read national numbers, dates or order numbers as phone numbers', () => {
    expect(findPhoneNumbers('order 030 12345678 on 2023-05-10', undefined)).toEqual([]);
  });

  it('with a default country, finds national numbers too', () => {
    expect(findPhoneNumbers('ring 030 12345678', 'DE').map((found) => found.description)).toEqual(['a phone number (ending in 5678)']);
  });

  it('ignores numbers that are not valid for their country', () => {
    expect(findPhoneNumbers('+1 555 000', undefined)).toEqual([]);
  });
});
