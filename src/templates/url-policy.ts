import { isIP } from 'node:net';
import { domainToASCII } from 'node:url';

/**
 * The verified-domain allowlist and allowed ports, normalised once the way WHATWG URL normalises a
 * host (IDNA to punycode, lower case), so that "Bücher.example." and "xn--bcher-kva.example"
 * are the same entry and comparisons are plain string equality.
 */
export interface UrlPolicy {
  verifiedDomains: readonly string[];
  allowedPorts: ReadonlySet<number>;
}

export class InvalidLintOptionsError extends Error {
  override readonly name = 'InvalidLintOptionsError';
}

/** Why a verified-domain list is unusable (for configuration errors), or null when it is fine. */
export function findVerifiedDomainProblem(verifiedDomains: readonly string[]): string | null {
  try {
    createUrlPolicy({ verifiedDomains });
    return null;
  } catch (error) {
    if (error instanceof InvalidLintOptionsError) return error.message;
    throw error;
  }
}

export function createUrlPolicy(options: { verifiedDomains: readonly string[]; allowedPorts?: readonly number[] }): UrlPolicy {
  const invalid: string[] = [];
  const verifiedDomains: string[] = [];
  for (const entry of options.verifiedDomains) {
    if (entry.trim() === '') continue;
    const domain = normaliseVerifiedDomain(entry);
    if (domain === null) invalid.push(entry);
    else if (!verifiedDomains.includes(domain)) verifiedDomains.push(domain);
  }
  if (invalid.length > 0) {
    throw new InvalidLintOptionsError(`not a domain name (give names like shop.example, without scheme, path, port or IP address): ${invalid.map((entry) => JSON.stringify(entry)).join(', ')}`);
  }
  const ports = options.allowedPorts ?? [];
  const badPort = ports.find((port) => !Number.isInteger(port) || port < 1 || port > 65_535);
  if (badPort !== undefined) throw new InvalidLintOptionsError(`not a port number: ${badPort}`);
  return { verifiedDomains, allowedPorts: new Set(ports) };
}

/** "*.Shop.Example." → "shop.example"; null for anything that is not a multi-label domain name. */
export function normaliseVerifiedDomain(entry: string): string | null {
  const trimmed = entry.trim().replace(/^\*\./, '').replace(/\.$/, '');
  if (trimmed === '' || /[\s/:@\\?#%]/.test(trimmed)) return null;
  const ascii = domainToASCII(trimmed);
  const labels = ascii.split('.');
  // A numeric last label makes WHATWG URL read the host as IPv4 ("0x7f.1" is 127.0.0.1).
  if (ascii === '' || isIP(ascii) !== 0 || labels.length < 2 || labels.some((label) => label === '') || /^(?:0x[\da-f]*|\d+)$/i.test(labels.at(-1)!)) return null;
  return ascii;
}

/** Exact or subdomain match on label boundaries: "a.shop.example" is under "shop.example", "evilshop.example" is not. */
export function isHostOnAllowlist(host: string, verifiedDomains: readonly string[]): boolean {
  return verifiedDomains.some((domain) => host === domain || host.endsWith(`.${domain}`));
}
