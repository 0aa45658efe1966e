import ipaddr from 'ipaddr.js';
import { parseAddressEntry } from '../config/address-entries.js';
import type { AddressRange } from '../config/address-entries.js';
import { readEmbeddedIpv4 } from './address-class.js';

/**
 * Internal destinations the operator chose to reach (RAMPART_FORWARD_ALLOWED_HOSTS): exact host
 * names and address ranges. Everything else internal is refused.
 */
export interface DestinationAllowlist {
  readonly hostNames: ReadonlySet<string>;
  readonly ranges: readonly AddressRange[];
}

export const emptyDestinationAllowlist: DestinationAllowlist = { hostNames: new Set(), ranges: [] };

const dnsLabel = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';
const dnsName = new RegExp(`^(?=.{1,253}$)(?:${dnsLabel}\\.)*${dnsLabel}$`);

/**
 * Entries are standard-notation addresses or CIDR ranges, or exact DNS names (no wildcards). A
 * name that a URL parser would read as an IPv4 number ("010.0.0.1", "0x7f.1", "2130706433") is
 * refused rather than guessed at.
 */
export function parseDestinationAllowlist(entries: readonly string[]): { allowlist: DestinationAllowlist; invalidEntries: string[] } {
  const hostNames = new Set<string>();
  const ranges: AddressRange[] = [];
  const invalidEntries: string[] = [];
  for (const entry of entries) {
    const range = tryParseAddressEntry(entry);
    if (range !== null) ranges.push(range);
    else if (isPlainHostName(entry)) hostNames.add(normaliseHostName(entry));
    else invalidEntries.push(entry);
  }
  return { allowlist: { hostNames, ranges }, invalidEntries };
}

/** Lower case without the root dot, as entries are stored. */
export function normaliseHostName(hostname: string): string {
  return hostname.toLowerCase().replace(/\.$/, '');
}

export function isHostNameAllowlisted(allowlist: DestinationAllowlist, hostname: string): boolean {
  return allowlist.hostNames.has(normaliseHostName(hostname));
}

/** True when the address, or the IPv4 address it embeds, lies in an allowlisted range. */
export function isAddressInAllowlistedRange(allowlist: DestinationAllowlist, address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  const parsed = ipaddr.parse(address);
  const candidates: (ipaddr.IPv4 | ipaddr.IPv6)[] = [parsed];
  if (parsed.kind() === 'ipv6') {
    const embedded = readEmbeddedIpv4(parsed as ipaddr.IPv6);
    if (embedded !== null) candidates.push(embedded);
  }
  return allowlist.ranges.some(([range, bits]) =>
    candidates.some((candidate) => candidate.kind() === range.kind() && candidate.match(range, bits)),
  );
}

function tryParseAddressEntry(entry: string): AddressRange | null {
  try {
    return parseAddressEntry(entry);
  } catch {
    return null;
  }
}

function isPlainHostName(entry: string): boolean {
  const name = normaliseHostName(entry);
  if (!dnsName.test(name)) return false;
  // A name ending in a numeric label is an IPv4 number to a URL parser, not a DNS name.
  const lastLabel = name.slice(name.lastIndexOf('.') + 1);
  if (/^(?:0x[0-9a-f]*|\d+)$/.test(lastLabel)) return false;
  return new URL(`https://${name}/`).hostname === name;
}
