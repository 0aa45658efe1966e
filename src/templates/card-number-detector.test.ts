import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { anyText } from '../../test/templates/support/arbitrary-text.js';
import { findCardNumbers } from './card-number-detector.js';
import { hasValidLuhnCheckDigit, identifyCardNetwork } from './card-networks.js';

/** Appends the digit that makes `partial` pass Luhn. */
function withLuhnDigit(partial: string): string {
  for (let digit = 0; digit <= 9; digit += 1) if (hasValidLuhnCheckDigit(`${partial}${digit}`)) return `${partial}${digit}`;
  throw new Error('unreachable: one of ten digits always completes a Luhn number');
}

function endings(text: string): string[] {
  return findCardNumbers(text).map((found) => found.description);
}

describe('Luhn check digit', () => {
  it('accepts the networks\' published test numbers and refuses a single changed digit', () => {
    for (const number of ['4111111111111111', '5555555555554444', '378282246310005', '6011111111111117', '3530111333300000', '79927398713']) {
      expect(hasValidLuhnCheckDigit(number)).toBe(true);
    }
    expect(hasValidLuhnCheckDigit('4111111111111112')).toBe(false);
    expect(hasValidLuhnCheckDigit('79927398710')).toBe(false);
    expect(hasValidLuhnCheckDigit('')).toBe(false);
  });

  it('catches every single-digit substitution', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^\d{12,18}$/), fc.nat(), fc.integer({ min: 1, max: 9 }), (partial, position, delta) => {
        const valid = withLuhnDigit(partial);
        const index = position % valid.length;
        const changed = `${valid.slice(0, index)}${(Number(valid[index]) + delta) % 10}${valid.slice(index + 1)}`;
        expect(hasValidLuhnCheckDigit(changed)).toBe(false);
      }),
    );
  });
});

describe('card networks', () => {
  it('names the network of numbers in its IIN range and length', () => {
    expect(identifyCardNetwork('4111111111111111')).toBe('Visa');
    expect(identifyCardNetwork('2221000000000009')).toBe('Mastercard');
    expect(identifyCardNetwork('378282246310005')).toBe('American Express');
    expect(identifyCardNetwork('6521000000000000')).toBe('Discover');
    expect(identifyCardNetwork('3530111333300000')).toBe('JCB');
    expect(identifyCardNetwork('6200000000000005')).toBe('UnionPay');
    expect(identifyCardNetwork('36227206271667')).toBe('Diners Club');
    expect(identifyCardNetwork('2200000000000004')).toBe('Mir');
  });

  it('knows no card network for prefixes 1, 7, 80, 9 (order, tracking and account numbers live there)', () => {
    for (const prefix of ['1', '7', '80', '91', '0']) expect(identifyCardNetwork(`${prefix}${'0'.repeat(15 - prefix.length)}`)).toBeNull();
    // A Visa prefix with a length Visa never issues.
    expect(identifyCardNetwork('41111111111111')).toBeNull();
  });
});

describe('findCardNumbers', () => {
  it('finds a card number written whole, in groups of four, with dashes, or in Amex 4-6-5 groups', () => {
    expect(endings('card 4111111111111111 on file')).toEqual(['a Visa card number (ending in 1111)']);
    expect(endings('card 5555 5555 5555 4444')).toEqual(['a Mastercard card number (ending in 4444)']);
    expect(endings('card 6011-1111-1111-1117.')).toEqual(['a Discover card number (ending in 1117)']);
    expect(endings('Amex 3782 822463 10005')).toEqual(['an American Express card number (ending in 0005)']);
  });

  it('finds a card number followed or preceded by other numbers (expiry date, quantity)', () => {
    expect(endings('4111 1111 1111 1111 12 25')).toEqual(['a Visa card number (ending in 1111)']);
    expect(endings('qty 3 4111111111111111 exp 12/25')).toEqual(['a Visa card number (ending in 1111)']);
    expect(endings('ID4111111111111111')).toEqual(['a Visa card number (ending in 1111)']);
  });

  it('finds two card numbers in one text', () => {
    expect(findCardNumbers('4111111111111111 and 5555555555554444')).toHaveLength(2);
  });

  it('ignores Luhn-valid order numbers outside every card range', () => {
    const orderNumbers = [withLuhnDigit('100000000000012'), withLuhnDigit('70000123456789'), withLuhnDigit('912345678901234')];
    for (const number of orderNumbers) {
      expect(hasValidLuhnCheckDigit(number)).toBe(true);
      expect(findCardNumbers(`order ${number}`)).toEqual([]);
    }
  });

  it('ignores a number in a card range whose check digit is wrong', () => {
    expect(findCardNumbers('4111 1111 1111 1112')).toEqual([]);
  });

  it('ignores dates, times, amounts, phone numbers and tracking numbers', () => {
    const negatives = [
      '2024-05-10 13:30',
      'total 1,234,567.89',
      '+1 650-308-7300',
      'UPS 1Z999AA10123456784',
      // USPS: 22 digits, longer than any card and never split inside a group.
      'USPS 9400111899223100012345',
      'FedEx 7489 2345 6789',
    ];
    for (const text of negatives) expect(findCardNumbers(text)).toEqual([]);
  });

  it('does not split a card out of a longer unbroken run of digits', () => {
    expect(findCardNumbers('94111111111111111')).toEqual([]);
  });

  it('finds any valid card number embedded in arbitrary text, naming only its last four digits', () => {
    const networks = [
      { prefix: '4', lengths: [13, 16, 19] },
      { prefix: '51', lengths: [16] },
      { prefix: '2720', lengths: [16] },
      { prefix: '37', lengths: [15] },
      { prefix: '6011', lengths: [16, 19] },
      { prefix: '3528', lengths: [16] },
      { prefix: '62', lengths: [16, 19] },
    ];
    const card = fc
      .constantFrom(...networks)
      .chain((network) => fc.tuple(fc.constant(network.prefix), fc.constantFrom(...network.lengths)))
      .chain(([prefix, length]) => fc.stringMatching(new RegExp(`^\\d{${length - prefix.length - 1}}$`)).map((body) => withLuhnDigit(`${prefix}${body}`)));
    const written = card.chain((digits) =>
      fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 19 }).chain((sizes) =>
        fc.array(fc.constantFrom(' ', '-'), { minLength: 19, maxLength: 19 }).map((separators) => ({ digits, text: group(digits, sizes, separators) })),
      ),
    );
    const boundary = fc.constantFrom('\n', ': ', ' (', ', ', '\t', ' / ', 'x');
    fc.assert(
      fc.property(anyText(40), boundary, written, boundary, anyText(40), (before, open, card, close, after) => {
        const found = findCardNumbers(`${before}${open}${card.text}${close}${after}`);
        const descriptions = found.map((span) => span.description);
        expect(descriptions.some((description) => description.endsWith(`(ending in ${card.digits.slice(-4)})`))).toBe(true);
        for (const description of descriptions) expect(description.replace(/\D/g, '').length).toBeLessThanOrEqual(4);
      }),
    );
  });
});

/** Cuts digits into groups of the given sizes (cycling), joined by the given separators. */
function group(digits: string, sizes: readonly number[], separators: readonly string[]): string {
  let text = '';
  let position = 0;
  let index = 0;
  while (position < digits.length) {
    const size = sizes[index % sizes.length]!;
    text += (index > 0 ? separators[index % separators.length]! : '') + digits.slice(position, position + size);
    position += size;
    index += 1;
  }
  return text;
}
