import { describe, expect, it } from 'vitest';
import { createBlindIndex, normalisePhone } from './blind-index.js';
import { randomBytes } from './primitives.js';

describe('normalisePhone', () => {
  it('brings common international notations to E.164', () => {
    for (const input of ['16315551181', '+16315551181', '+1 631-555-1181', '+1 (631) 555 1181', '0016315551181']) {
      expect(normalisePhone(input)).toBe('+16315551181');
    }
    expect(normalisePhone('+44 20 7946 0958')).toBe('+442079460958');
  });

  it('rejects non-digits, national forms, and too few or too many digits without echoing the input', () => {
    const inputs = [
      '',
      '+',
      '12345',
      '1234567890123456',
      '06315551181',
      '+06315551181',
      '1.631.555.1181',
      '+1 631 555 1181 ext 2',
      '++16315551181',
      '1631+5551181',
      '１６３１５５５１１８１',
      '+1\u00a0631\u00a05551181',
      '+1\t6315551181',
    ];
    for (const input of inputs) {
      let message = '';
      try {
        normalisePhone(input);
      } catch (error) {
        expect(error).toMatchObject({ code: 'INVALID_REQUEST' });
        message = error instanceof Error ? error.message : '';
      }
      expect(message, JSON.stringify(input)).not.toBe('');
      expect(message).not.toContain('631');
    }
  });
});

describe('blind index', () => {
  const rootKey = randomBytes(32);
  const index = createBlindIndex(rootKey);

  it('gives a WhatsApp wa_id and the same number in other notations one 32-byte index', () => {
    const fromWaId = index.phone('16315551181');
    expect(fromWaId).toHaveLength(32);
    for (const notation of ['+1 631-555-1181', '+16315551181', '0016315551181', '+1 (631) 555 1181']) {
      expect(index.phone(notation)).toEqual(fromWaId);
    }
    expect(index.phone('16315551182').equals(fromWaId)).toBe(false);
  });

  it('is deterministic for one root key and different under another', () => {
    expect(createBlindIndex(Buffer.from(rootKey)).phone('16315551181')).toEqual(index.phone('16315551181'));
    const other = createBlindIndex(randomBytes(32));
    expect(other.phone('16315551181').equals(index.phone('16315551181'))).toBe(false);
    expect(other.messageId('wamid.X').equals(index.messageId('wamid.X'))).toBe(false);
  });

  it('keeps purposes apart: the same string gives different bytes as phone, message id, user id and event key', () => {
    const values = [
      index.phone('16315551181'),
      index.messageId('+16315551181'),
      index.messageId('16315551181'),
      index.userId('16315551181'),
      index.eventKey(Buffer.from('+16315551181')),
      index.eventKey(Buffer.from('16315551181')),
    ];
    expect(new Set(values.map((value) => value.toString('hex'))).size).toBe(values.length);
  });

  it('matches message ids and user ids exactly, without normalising them', () => {
    expect(index.messageId('wamid.HBgL')).toEqual(index.messageId('wamid.HBgL'));
    expect(index.messageId('wamid.HBgL').equals(index.messageId('wamid.hbgl'))).toBe(false);
    expect(index.userId('US.1234').equals(index.userId('US.1234 '))).toBe(false);
  });

  it('rejects invalid input as INVALID_REQUEST and short root keys outright', () => {
    expect(() => index.phone('not a number')).toThrow(expect.objectContaining({ code: 'INVALID_REQUEST' }));
    expect(() => index.messageId('')).toThrow(expect.objectContaining({ code: 'INVALID_REQUEST' }));
    expect(() => index.messageId('wamid.\uD800')).toThrow(expect.objectContaining({ code: 'INVALID_REQUEST' }));
    expect(() => index.userId('')).toThrow(expect.objectContaining({ code: 'INVALID_REQUEST' }));
    expect(() => createBlindIndex(randomBytes(16))).toThrow(RangeError);
  });
});
