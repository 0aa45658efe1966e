import ipaddr from 'ipaddr.js';

export type AddressRange = [ipaddr.IPv4 | ipaddr.IPv6, number];

/**
 * One address or CIDR range, in standard notation only: dotted-quad IPv4 or IPv6. ipaddr.js also
 * reads legacy IPv4 spellings ("010.0.0.0" is octal 8.0.0.0, "10/8" is 0.0.0.10/8), which would
 * silently allow or trust a range nobody meant. Throws for anything else.
 */
export function parseAddressEntry(entry: string): AddressRange {
  const [address = '', prefix, ...rest] = entry.split('/');
  const isStandard = ipaddr.IPv4.isValidFourPartDecimal(address) || ipaddr.IPv6.isValid(address);
  if (!isStandard || rest.length > 0 || (prefix !== undefined && !/^\d{1,3}$/.test(prefix))) {
    throw new Error('not an address or range');
  }
  if (prefix === undefined) {
    const parsed = ipaddr.parse(address);
    return [parsed, parsed.kind() === 'ipv4' ? 32 : 128];
  }
  return ipaddr.parseCIDR(entry);
}

/** The entries of a list that are not standard addresses or ranges. */
export function findInvalidAddressEntries(entries: readonly string[]): string[] {
  return entries.filter((entry) => {
    try {
      parseAddressEntry(entry);
      return false;
    } catch {
      return true;
    }
  });
}
