import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * What kind of destination an address is. Only `public` is reachable without the operator's
 * say-so; the rest are internal, special-purpose or not addresses at all.
 */
export type AddressClass =
  | 'public'
  | 'unspecified'
  | 'broadcast'
  | 'multicast'
  | 'loopback'
  | 'private'
  | 'link-local'
  | 'carrier-grade-nat'
  | 'unique-local'
  | 'site-local'
  | 'reserved'
  | 'tunnel'
  | 'invalid';

/** Classes no configuration can open: none of them is an HTTP server (0.0.0.0 and :: even reach this host). */
export const NEVER_ALLOWED_CLASSES: ReadonlySet<AddressClass> = new Set(['unspecified', 'broadcast', 'multicast', 'invalid']);

const ipv4Classes: Record<string, AddressClass> = {
  unicast: 'public',
  unspecified: 'unspecified',
  broadcast: 'broadcast',
  multicast: 'multicast',
  linkLocal: 'link-local',
  loopback: 'loopback',
  carrierGradeNat: 'carrier-grade-nat',
  private: 'private',
};

const ipv6Classes: Record<string, AddressClass> = {
  unspecified: 'unspecified',
  loopback: 'loopback',
  linkLocal: 'link-local',
  multicast: 'multicast',
  uniqueLocal: 'unique-local',
  deprecatedSiteLocal: 'site-local',
  teredo: 'tunnel',
};

const [globalUnicast, globalUnicastBits] = ipaddr.parseCIDR('2000::/3');
const [wellKnownNat64, wellKnownNat64Bits] = ipaddr.parseCIDR('64:ff9b::/96');
const [ipv4Compatible, ipv4CompatibleBits] = ipaddr.parseCIDR('::/96');

/**
 * Classifies an address as a resolver or a socket reports it. Only strict notation is accepted
 * (`net.isIP`): dotted-quad IPv4 or IPv6. IPv6 forms that carry an IPv4 address (mapped,
 * compatible, translated, NAT64 64:ff9b::/96, 6to4) are judged by that IPv4 address, since that is
 * where the packets end up.
 */
export function classifyAddress(address: string): AddressClass {
  if (isIP(address) === 0) return 'invalid';
  const parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv4') return classifyIpv4(parsed as ipaddr.IPv4);
  const ipv6 = parsed as ipaddr.IPv6;
  const range = ipv6.range();
  if (range === 'unspecified' || range === 'loopback') return range;
  const embedded = readEmbeddedIpv4(ipv6);
  if (embedded !== null) return classifyIpv4(embedded);
  const named = ipv6Classes[range];
  if (named !== undefined) return named;
  // ipaddr.js calls every unnamed IPv6 range `unicast`; only 2000::/3 is allocated as global unicast.
  return range === 'unicast' && ipv6.match(globalUnicast, globalUnicastBits) ? 'public' : 'reserved';
}

/** The IPv4 address an IPv6 address stands for, when it is one of the forms that embed one. */
export function readEmbeddedIpv4(address: ipaddr.IPv6): ipaddr.IPv4 | null {
  const range = address.range();
  const bytes = address.toByteArray();
  if (range === 'ipv4Mapped' || range === 'rfc6145' || address.match(wellKnownNat64, wellKnownNat64Bits)) {
    return new ipaddr.IPv4(bytes.slice(12, 16));
  }
  if (address.match(ipv4Compatible, ipv4CompatibleBits)) return new ipaddr.IPv4(bytes.slice(12, 16));
  if (range === '6to4') return new ipaddr.IPv4(bytes.slice(2, 6));
  return null;
}

function classifyIpv4(address: ipaddr.IPv4): AddressClass {
  // as112, amt, documentation and benchmarking ranges, 240/4: special-purpose, never a webhook receiver.
  return ipv4Classes[address.range()] ?? 'reserved';
}
