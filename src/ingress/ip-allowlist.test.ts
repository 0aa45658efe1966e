import { describe, expect, it } from 'vitest';
import { isAppError } from '../errors.js';
import { createAddressMatcher } from './ip-allowlist.js';

function configProblem(entries: readonly string[]): string {
  try {
    createAddressMatcher(entries);
  } catch (error) {
    if (isAppError(error) && error.code === 'CONFIG_INVALID') return error.message;
    throw error;
  }
  throw new Error(`accepted ${entries.join(', ')}`);
}

describe('createAddressMatcher', () => {
  it('matches IPv4 addresses inside a CIDR range and nothing outside it', () => {
    const isAllowed = createAddressMatcher(['10.0.0.0/8', '192.168.4.0/22']);
    for (const address of ['10.0.0.0', '10.1.2.3', '10.255.255.255', '192.168.4.1', '192.168.7.254']) {
      expect(isAllowed(address), address).toBe(true);
    }
    for (const address of ['9.255.255.255', '11.0.0.0', '192.168.3.255', '192.168.8.0', '127.0.0.1']) {
      expect(isAllowed(address), address).toBe(false);
    }
  });

  it('matches IPv6 addresses inside a CIDR range and nothing outside it', () => {
    const isAllowed = createAddressMatcher(['2a03:2880::/32']);
    expect(isAllowed('2a03:2880:f10c:83:face:b00c:0:25de')).toBe(true);
    expect(isAllowed('2a03:2881::1')).toBe(false);
    expect(isAllowed('::1')).toBe(false);
  });

  it('treats a single address as a range of one', () => {
    const isAllowed = createAddressMatcher(['203.0.113.7', '::1']);
    expect(isAllowed('203.0.113.7')).toBe(true);
    expect(isAllowed('203.0.113.8')).toBe(false);
    expect(isAllowed('::1')).toBe(true);
    expect(isAllowed('0:0:0:0:0:0:0:1')).toBe(true);
    expect(isAllowed('::2')).toBe(false);
  });

  it('matches an IPv4-mapped IPv6 address (as seen on dual-stack sockets) against its IPv4 range', () => {
    const isAllowed = createAddressMatcher(['10.0.0.0/8', '198.51.100.5']);
    expect(isAllowed('::ffff:10.1.2.3')).toBe(true);
    expect(isAllowed('::ffff:198.51.100.5')).toBe(true);
    expect(isAllowed('::ffff:11.1.2.3')).toBe(false);
  });

  it('never lets an IPv4 range match an IPv6 address that merely shares its bits', () => {
    const isAllowed = createAddressMatcher(['10.0.0.0/8']);
    expect(isAllowed('a00::1')).toBe(false);
    // The deprecated IPv4-compatible form (::10.1.2.3 as a socket reports it) is IPv6, not mapped IPv4.
    expect(isAllowed('::a01:203')).toBe(false);
  });

  it('with an empty list allows nobody', () => {
    const isAllowed = createAddressMatcher([]);
    expect(isAllowed('127.0.0.1')).toBe(false);
    expect(isAllowed('::1')).toBe(false);
  });

  it('refuses invalid entries with CONFIG_INVALID naming every one of them', () => {
    const message = configProblem(['10.0.0.0/8', 'not-an-address', '10.0.0.0/33', '2001:db8::/129', '300.1.1.1', '1.2.3.4 ']);
    expect(message).toContain('RAMPART_IP_ALLOWLIST');
    for (const entry of ['not-an-address', '10.0.0.0/33', '2001:db8::/129', '300.1.1.1']) expect(message).toContain(entry);
    expect(message).not.toMatch(/10\.0\.0\.0\/8(?!\d)/);
  });

  // Legacy IPv4 spellings (octal, hex, fewer than four parts) mean something other than they seem:
  // "010.0.0.0/8" is 8.0.0.0/8 and "10/8" is 0.0.0.0/8, so a typo would silently open a foreign range.
  it('refuses IPv4 entries that are not four decimal parts rather than guessing what they mean', () => {
    for (const entry of ['010.0.0.0/8', '10/8', '192.168.1', '0x0a.0.0.1', '3232235777', '10']) {
      expect(configProblem([entry]), entry).toContain(entry);
    }
  });

  it('answers false for anything that is not an address', () => {
    const isAllowed = createAddressMatcher(['0.0.0.0/0', '::/0']);
    expect(isAllowed('1.2.3.4')).toBe(true);
    for (const garbage of ['', 'localhost', 'not an ip', '1.2.3.4.5', '256.0.0.1', '10.0.0.0/8', '::ffff:zz', '1.2.3.4\n']) {
      expect(isAllowed(garbage), JSON.stringify(garbage)).toBe(false);
    }
  });
});
