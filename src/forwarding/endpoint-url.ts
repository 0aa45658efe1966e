import { isIP } from 'node:net';

export type EndpointUrlCheck = { isValid: true; url: URL } | { isValid: false; problem: string };

export const MAX_ENDPOINT_URL_LENGTH = 2048;

/**
 * The shape rules for an endpoint URL, applied before any address is looked at: absolute
 * `https://` (or `http://` when the endpoint allows it), no credentials, no fragment. Problems
 * never quote the URL: its query string may carry the receiver's token.
 */
export function checkEndpointUrl(text: string, options: { isHttpAllowed: boolean }): EndpointUrlCheck {
  if (text.length > MAX_ENDPOINT_URL_LENGTH) return invalid(`must be at most ${MAX_ENDPOINT_URL_LENGTH} characters`);
  // URL parsers silently drop tabs, newlines and edge spaces, and read `https:\\host` as `https://host`.
  if (/[\u0000-\u0020\u007f-\u009f\\]/.test(text)) return invalid('must not contain spaces, control characters or backslashes');
  if (!/^https?:\/\//i.test(text)) return invalid('must be an absolute https:// URL');
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return invalid('is not a valid URL');
  }
  if (url.protocol === 'http:' && !options.isHttpAllowed) {
    return invalid('must be https:// (http:// only with "allowHttp": true, for development on a trusted network)');
  }
  const authority = text.slice(text.indexOf('//') + 2).split(/[/?#]/, 1)[0] ?? '';
  // An empty `@` is dropped by the parser but still shows someone meant to put credentials here.
  if (url.username !== '' || url.password !== '' || authority.includes('@')) {
    return invalid('must not contain credentials (user:password@); authenticate with the signature');
  }
  if (text.includes('#')) return invalid('must not contain a fragment (#…)');
  return { isValid: true, url };
}

/** The host to connect to, without the brackets of an IPv6 literal. */
export function readConnectHost(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1');
}

/** True when the URL names an address rather than a DNS name (after the URL parser's normalisation). */
export function isAddressLiteralHost(url: URL): boolean {
  return isIP(readConnectHost(url)) !== 0;
}

function invalid(problem: string): EndpointUrlCheck {
  return { isValid: false, problem };
}
