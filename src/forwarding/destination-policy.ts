import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { classifyAddress, NEVER_ALLOWED_CLASSES } from './address-class.js';
import type { AddressClass } from './address-class.js';
import { isAddressInAllowlistedRange, isHostNameAllowlisted } from './destination-allowlist.js';
import type { DestinationAllowlist } from './destination-allowlist.js';
import { readConnectHost } from './endpoint-url.js';

export const ALLOWED_HOSTS_SETTING = 'RAMPART_FORWARD_ALLOWED_HOSTS';

/** Every address a host name resolves to, in the order to try them. */
export type ResolveHost = (hostname: string) => Promise<readonly string[]>;

/** The operating system's resolver (getaddrinfo: /etc/hosts, then DNS), all addresses. */
export const resolveWithSystemResolver: ResolveHost = async (hostname) => {
  const results = await lookup(hostname, { all: true });
  return results.map((result) => result.address);
};

export type AddressJudgement = { isAllowed: true } | { isAllowed: false; addressClass: AddressClass; detail: string };

export type DestinationVerdict =
  /** Connect to these addresses and no others. */
  | { kind: 'allowed'; addresses: readonly string[] }
  | { kind: 'refused'; address: string; addressClass: AddressClass; detail: string }
  /** The name did not resolve (now); worth trying again later. */
  | { kind: 'unresolved'; code: string | null };

/**
 * Whether Rampart may connect to one address for a URL with this host. Public addresses always;
 * unspecified, broadcast and multicast never; any other internal address only when its range is
 * allowlisted or, except for link-local (cloud metadata lives at 169.254.169.254), when the
 * URL's exact host name is.
 */
export function judgeAddress(address: string, host: string, allowlist: DestinationAllowlist): AddressJudgement {
  const addressClass = classifyAddress(address);
  if (addressClass === 'public') return { isAllowed: true };
  const what = host === address ? `${address} (${addressClass})` : `${host} resolved to ${address} (${addressClass})`;
  if (NEVER_ALLOWED_CLASSES.has(addressClass)) {
    return { isAllowed: false, addressClass, detail: `${what}: never a valid destination` };
  }
  if (isAddressInAllowlistedRange(allowlist, address)) return { isAllowed: true };
  const isNamedHost = isIP(host) === 0 && isHostNameAllowlisted(allowlist, host);
  if (isNamedHost && addressClass !== 'link-local') return { isAllowed: true };
  const remedy = isNamedHost
    ? `link-local addresses need their address range on ${ALLOWED_HOSTS_SETTING}, not just the host name`
    : `an internal address; add the host or its range to ${ALLOWED_HOSTS_SETTING} if this is intended`;
  return { isAllowed: false, addressClass, detail: `${what}: ${remedy}` };
}

/**
 * Resolves the URL's host once and judges every address: one refused address refuses the
 * destination, so a name that mixes public and internal answers cannot be used to reach the
 * internal one. The caller must connect to `addresses` only (no second lookup to rebind).
 */
export async function vetDestination(
  url: URL,
  context: { allowlist: DestinationAllowlist; resolveHost: ResolveHost },
): Promise<DestinationVerdict> {
  const host = readConnectHost(url);
  let addresses: readonly string[];
  if (isIP(host) !== 0) {
    addresses = [host];
  } else {
    try {
      addresses = await context.resolveHost(host);
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      return { kind: 'unresolved', code: typeof code === 'string' ? code : null };
    }
  }
  if (addresses.length === 0) return { kind: 'unresolved', code: null };
  for (const address of addresses) {
    const judgement = judgeAddress(address, host, context.allowlist);
    if (!judgement.isAllowed) {
      return { kind: 'refused', address, addressClass: judgement.addressClass, detail: judgement.detail };
    }
  }
  return { kind: 'allowed', addresses: [...new Set(addresses)] };
}
