import { describe, expect, it } from 'vitest';
import { computeVerhoeffCheckDigit } from './verhoeff.js';
import { scanText } from './text-scanner.js';
import type { ScanContext } from './text-scanner.js';
import { createUrlPolicy } from './url-policy.js';

const context: ScanContext = { role: 'parameter', category: 'MARKETING', policy: createUrlPolicy({ verifiedDomains: ['shop.com'] }), defaultCountry: 'IN' };

function rules(text: string, overrides: Partial<ScanContext> = {}): string[] {
  return scanText(text, { ...context, ...overrides }).map((problem) => problem.rule);
}

describe('scanText', () => {
  it('reports each value once, by the most specific rule: a card or an Aadhaar number is not also a phone number', () => {
    expect(rules('4111 1111 1111 1111')).toEqual(['card-number']);
    const aadhaar = `98765432101${computeVerhoeffCheckDigit('98765432101')}`;
    expect(rules(aadhaar)).toEqual(['aadhaar']);
    expect(rules('DE89 3704 0044 0532 0130 00')).toEqual(['iban']);
  });

  it('still reports a phone number beside a card number', () => {
    expect(rules('4111111111111111, call +91 98765 43210')).toEqual(['card-number', 'phone-number']);
  });

  it('does not report the user name of a userinfo link as an e-mail address, but does report an address in a query', () => {
    expect(rules('https://support@evil.com/')).toEqual(['url-userinfo', 'url-unverified-domain']);
    expect(rules('https://shop.com/?mail=ada@example.org')).toEqual(['email-address']);
  });

  it('sees through full-width digits, other scripts\' digits and invisible characters', () => {
    expect(rules('４１１１ １１１１ １１１１ １１１１')).toEqual(['card-number']);
    expect(rules('٤١١١١١١١١١١١١١١١')).toEqual(['card-number']);
    expect(rules('pass\u200Bword: {{1}}', { role: 'template-text' })).toEqual(['secret-wording']);
  });

  it('judges a button URL as written, and a variable in it by the host it cannot change', () => {
    expect(rules('https://shop.com/{{1}}', { role: 'url' })).toEqual([]);
    expect(rules('https://shop.com{{1}}', { role: 'url' })).toEqual(['url-variable-host']);
    expect(rules('shop.com/x', { role: 'url' })).toEqual(['url-without-scheme']);
  });

  it('reads a variable in a parameter as text: a parameter cannot add variables', () => {
    expect(rules('https://evil.com/{{1}}')).toEqual(['url-unverified-domain']);
  });

  it('checks values for password shapes only where values are: examples and parameters', () => {
    expect(rules('Xk9#pQ2!z', { role: 'template-text' })).toEqual([]);
    expect(rules('Xk9#pQ2!z', { role: 'example' })).toEqual(['code-like-value']);
  });
});
