import { describe, expect, it } from 'vitest';
import { describeEnding } from './masking.js';
import { normaliseForScanning } from './text-normalisation.js';

describe('normaliseForScanning', () => {
  it('folds full-width and other compatibility characters', () => {
    expect(normaliseForScanning('４１１１　ｐａｓｓ')).toBe('4111 pass');
  });

  it('drops zero-width and other invisible format characters', () => {
    expect(normaliseForScanning('pass\u200Bwo\u00ADrd\u2060\uFEFF')).toBe('password');
  });

  it('turns digits of other scripts into ASCII digits', () => {
    expect(normaliseForScanning('٤١١١ ४१११ ৪১১১')).toBe('4111 4111 4111');
    expect(normaliseForScanning('०१२३४५६७८९')).toBe('0123456789');
  });

  it('keeps ordinary text as it is', () => {
    expect(normaliseForScanning('Olá {{1}}, seu pedido chegou!')).toBe('Olá {{1}}, seu pedido chegou!');
  });
});

describe('describeEnding', () => {
  it('shows at most the last four characters, and fewer for short values', () => {
    expect(describeEnding('4111 1111 1111 1111')).toBe('ending in 1111');
    expect(describeEnding('abcpe1234f')).toBe('ending in 234F');
    expect(describeEnding('123456')).toBe('ending in 56');
    expect(describeEnding('1234')).toBe('masked');
  });
});
