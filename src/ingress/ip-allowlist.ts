import ipaddr from 'ipaddr.js';
import { findInvalidAddressEntries, parseAddressEntry } from '../config/address-entries.js';
import { AppError } from '../errors.js';

export type AddressMatcher = (address: string) => boolean;

/**
 * Builds a matcher for a list of CIDR ranges or single addresses (IPv4 and IPv6). An IPv4
 * address seen as IPv4-mapped IPv6 (::ffff:1.2.3.4, common on dual-stack sockets) matches its
 * IPv4 range. Throws CONFIG_INVALID naming every entry that is not a standard address or range.
 */
export function createAddressMatcher(entries: readonly string[]): AddressMatcher {
  const invalid = findInvalidAddressEntries(entries);
  if (invalid.length > 0) {
    throw new AppError('CONFIG_INVALID', `RAMPART_IP_ALLOWLIST: not an IP address or CIDR range: ${invalid.join(', ')}`);
  }
  const ranges = entries.map(parseAddressEntry);
  return (address: string) => {
    if (!ipaddr.isValid(address)) return false;
    const parsed = ipaddr.process(address);
    return ranges.some(([range, bits]) => parsed.kind() === range.kind() && parsed.match(range, bits));
  };
}
