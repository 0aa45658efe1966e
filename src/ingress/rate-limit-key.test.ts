import { describe, expect, it } from 'vitest';
import { rateLimitKeyOf } from './rate-limit-key.js';

describe('rateLimitKeyOf', () => {
  it('puts every address of one IPv6 /64 in one bucket, however it is written', () => {
    const keys = ['2001:db8:1:2::1', '2001:db8:1:2:ffff:ffff:ffff:ffff', '2001:0db8:0001:0002:0000:0000:0000:0009'].map(rateLimitKeyOf);
    expect(new Set(keys).size).toBe(1);
    expect(rateLimitKeyOf('2001:db8:1:3::1')).not.toBe(keys[0]);
  });

  it('keeps one bucket per IPv4 address, IPv4-mapped IPv6 included', () => {
    expect(rateLimitKeyOf('203.0.113.7')).toBe('203.0.113.7');
    expect(rateLimitKeyOf('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(rateLimitKeyOf('203.0.113.8')).not.toBe(rateLimitKeyOf('203.0.113.7'));
  });

  it('passes through what is not an address', () => {
    expect(rateLimitKeyOf('unknown')).toBe('unknown');
  });
});
