/**
 * Issuer identification number (IIN) ranges of the card networks, with the lengths each issues.
 * Only numbers in these ranges are reported: a Luhn-valid order or tracking number (one in ten
 * random numbers passes Luhn) that starts with 1, 7, 8 or 9 is not a card. Sources: ISO/IEC 7812
 * registrations as published by the networks (Visa, Mastercard, Amex, Discover, JCB, UnionPay,
 * Diners, Mir, RuPay, Verve, Troy, Elo, Dankort); UATP (prefix 1, airline-only) is left out on
 * purpose, since numbers starting with 1 are too often order numbers.
 */

interface CardNetwork {
  name: string;
  /** Inclusive [low, high] prefixes of equal length. */
  ranges: readonly (readonly [string, string])[];
  lengths: readonly number[];
}

const sixteenToNineteen = [16, 17, 18, 19];

const cardNetworks: readonly CardNetwork[] = [
  { name: 'Visa', ranges: [['4', '4']], lengths: [13, 16, 19] },
  { name: 'Mastercard', ranges: [['51', '55'], ['2221', '2720']], lengths: [16] },
  { name: 'American Express', ranges: [['34', '34'], ['37', '37']], lengths: [15] },
  { name: 'Discover', ranges: [['6011', '6011'], ['644', '649'], ['65', '65'], ['622126', '622925']], lengths: sixteenToNineteen },
  { name: 'Diners Club', ranges: [['36', '36']], lengths: [14, 15, 16, 17, 18, 19] },
  { name: 'Diners Club', ranges: [['300', '305'], ['3095', '3095'], ['38', '39']], lengths: sixteenToNineteen },
  { name: 'JCB', ranges: [['3528', '3589']], lengths: sixteenToNineteen },
  { name: 'UnionPay', ranges: [['62', '62'], ['81', '81']], lengths: sixteenToNineteen },
  { name: 'Maestro', ranges: [['5018', '5018'], ['5020', '5020'], ['5038', '5038'], ['5893', '5893'], ['6304', '6304'], ['6759', '6759'], ['6761', '6763']], lengths: [13, 14, 15, 16, 17, 18, 19] },
  { name: 'Mir', ranges: [['2200', '2204']], lengths: sixteenToNineteen },
  { name: 'RuPay', ranges: [['60', '60'], ['65', '65'], ['81', '82'], ['508', '508'], ['353', '353'], ['356', '356']], lengths: [16] },
  { name: 'Verve', ranges: [['506099', '506198'], ['650002', '650027'], ['507865', '507964']], lengths: [16, 18, 19] },
  { name: 'Troy', ranges: [['9792', '9792']], lengths: [16] },
  { name: 'Elo', ranges: [['5041', '5041'], ['5066', '5067'], ['509', '509'], ['6277', '6277'], ['6362', '6363'], ['650', '650'], ['6516', '6516'], ['6550', '6550']], lengths: [16] },
  { name: 'Dankort', ranges: [['5019', '5019']], lengths: [16] },
];

/** The network whose range and lengths fit these digits, or null when none does. */
export function identifyCardNetwork(digits: string): string | null {
  for (const network of cardNetworks) {
    if (!network.lengths.includes(digits.length)) continue;
    const fits = network.ranges.some(([low, high]) => {
      const prefix = digits.slice(0, low.length);
      return prefix >= low && prefix <= high;
    });
    if (fits) return network.name;
  }
  return null;
}

/** The Luhn (mod 10) check every payment card number carries in its last digit. */
export function hasValidLuhnCheckDigit(digits: string): boolean {
  if (!/^\d{2,}$/.test(digits)) return false;
  let sum = 0;
  for (let index = 0; index < digits.length; index += 1) {
    let digit = digits.charCodeAt(digits.length - 1 - index) - 48;
    if (index % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}
