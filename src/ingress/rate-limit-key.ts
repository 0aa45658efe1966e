import ipaddr from 'ipaddr.js';

/**
 * The bucket a client address counts against: one per IPv4 address, one per IPv6 /64 (a single
 * host usually owns a whole /64, so per-address buckets would let it rotate past the limit).
 * IPv4-mapped IPv6 counts as its IPv4 address.
 */
export function rateLimitKeyOf(address: string): string {
  if (!ipaddr.isValid(address)) return address;
  const parsed = ipaddr.process(address);
  if (parsed.kind() === 'ipv4') return parsed.toString();
  return `${parsed.toNormalizedString().split(':').slice(0, 4).join(':')}::/64`;
}
