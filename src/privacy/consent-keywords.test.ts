import { describe, expect, it } from 'vitest';
import { createKeywordMatcher } from './consent-keywords.js';

describe('consent keywords', () => {
  const matcher = createKeywordMatcher();

  it.each(['STOP', 'stop', ' Stop! ', 'ＳＴＯＰ', 'stop 🛑', 'Abmelden', 'arrêt', 'BAJA.', '\u200bstop'])('reads %j as an opt-out', (text) => {
    expect(matcher.match(text)).toBe('opt-out');
  });

  it.each(['START', 'start', 'Unstop', 'anmelden'])('reads %j as an opt-in', (text) => {
    expect(matcher.match(text)).toBe('opt-in');
  });

  it.each(["please don't stop", 'stop it now', 'stopwatch', '', 'STOP'.repeat(30)])('does not read %j as a keyword', (text) => {
    expect(matcher.match(text)).toBeNull();
  });

  it('uses the configured keywords instead of the defaults', () => {
    const custom = createKeywordMatcher({ optOut: ['HALT'], optIn: ['GO'] });
    expect(custom.match('halt')).toBe('opt-out');
    expect(custom.match('go')).toBe('opt-in');
    expect(custom.match('stop')).toBeNull();
  });
});
