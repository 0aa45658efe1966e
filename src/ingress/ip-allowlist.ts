import ipaddr from 'ipaddr.js';
import { AppError } from '../errors.js';

export type AddressMatcher = (address: string) => boolean;

/**
 * Builds a matcher for a list of CIDR ranges or single addresses (IPv4 and IPv6). An IPv4
 * address seen as IPv4-mapped IPv6 (::ffff:1.2.3.4, common on dual-stack sockets) matches its
 * IPv4 range. Throws CONFIG_INVALID naming every entry that is not an address or range.
 */
export function createAddressMatcher(entries: readonly string[]): AddressMatcher {
  const ranges: [ipaddr.IPv4 | ipaddr.IPv6, number][] = [];
  const invalid: string[] = [];
  for (const entry of entries) {
    try {
      ranges.push(entry.includes('/') ? ipaddr.parseCIDR(entry) : hostRange(ipaddr.parse(entry)));
    } catch {
      invalid.push(entry);
    }
  }
  if (invalid.length > 0) {
    throw new AppError('CONFIG_INVALID', `RAMPART_IP_ALLOWLIST: not an IP address or CIDR range: ${invalid.join(', ')}`);
  }
  return (address: string) => {
    if (!ipaddr.isValid(address)) return false;
    const parsed = ipaddr.process(address);
    return ranges.some(([range, bits]) => parsed.kind() === range.kind() && parsed.match(range, bits));
  };
}

function hostRange(address: ipaddr.IPv4 | ipaddr.IPv6): [ipaddr.IPv4 | ipaddr.IPv6, number] {
  return [address, address.kind() === 'ipv4' ? 32 : 128];
}
