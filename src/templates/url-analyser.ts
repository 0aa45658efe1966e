import { isIP } from 'node:net';
import type { Problem } from './finding.js';
import { maskDigitRuns } from './masking.js';
import { urlShortenerHosts } from './url-lists.js';
import { isHostOnAllowlist } from './url-policy.js';
import type { UrlPolicy } from './url-policy.js';

/**
 * Judges one link by the host a browser would open: WHATWG URL does the parsing (IDNA, percent
 * decoding, IPv4 in decimal/octal/hex, backslashes), and the rules apply to what it returns, so
 * a link cannot read as one host and open another. What WHATWG accepts but other parsers may read
 * differently (backslashes, whitespace, "https:" without "//") is refused as ambiguous.
 */

export interface UrlToAnalyse {
  text: string;
  /** False for "www.shop.example/…" or "shop.example" written without a scheme in free text. */
  hasScheme: boolean;
}

export function analyseUrl(url: UrlToAnalyse, policy: UrlPolicy): Problem[] {
  const problems = [...checkSpelling(url)];
  let parsed: URL;
  try {
    parsed = new URL(url.hasScheme ? url.text : `https://${url.text}`);
  } catch {
    return [...problems, { rule: 'url-invalid', severity: 'error', message: 'A link cannot be parsed as a URL.', fix: 'Write a complete https:// link to a page on a verified domain.' }];
  }
  // http:, ftp: and the like still name a host: report it too, so the fix is not just "add an s".
  if (parsed.hostname === '') return problems;
  return [...problems, ...checkHost(parsed, policy)];
}

function checkSpelling(url: UrlToAnalyse): Problem[] {
  const problems: Problem[] = [];
  if (!url.hasScheme) {
    problems.push({ rule: 'url-without-scheme', severity: 'warning', message: 'A link is written without https://, so WhatsApp may open it over plain http.', fix: 'Write the link in full, starting with https://.' });
  } else if (!/^https:/i.test(url.text)) {
    const scheme = maskDigitRuns(/^[a-z][a-z0-9+.-]*:/i.exec(url.text)?.[0].toLowerCase() ?? 'an unknown scheme', 40);
    problems.push({ rule: 'url-not-https', severity: 'error', message: `A link uses ${scheme} instead of https:.`, fix: 'Link only to https:// pages (TLS protects the customer from tampering on the way).' });
  } else if (!/^https:\/\/(?![/\\])/i.test(url.text)) {
    problems.push(ambiguous('it does not start with exactly "https://"'));
  }
  if (url.text.includes('\\')) problems.push(ambiguous('it contains a backslash, which browsers read as "/" and other clients do not'));
  if (/[\s\p{Cc}\p{Cf}]/u.test(url.text)) problems.push(ambiguous('it contains whitespace, control or invisible characters, which URL parsers drop or stop at'));
  const authority = (url.hasScheme ? /^[a-z][a-z0-9+.-]*:[/\\]*([^/?#\\]*)/i : /^([^/?#\\]*)/).exec(url.text)?.[1] ?? '';
  if (authority.includes('%')) problems.push(ambiguous('its host is percent-encoded, which some clients decode and others do not'));
  if (/(?:^|@)\.|\.\./.test(authority.replace(/:\d*$/, ''))) problems.push(ambiguous('its host has an empty label'));
  return problems;
}

function ambiguous(reason: string): Problem {
  return { rule: 'url-ambiguous', severity: 'error', message: `A link is ambiguous: ${reason}.`, fix: 'Write the link plainly: https://, the verified host, then a path with "/" separators.' };
}

function checkHost(parsed: URL, policy: UrlPolicy): Problem[] {
  const problems: Problem[] = [];
  const host = parsed.hostname.replace(/^\[|\]$/g, '').replace(/\.$/, '');
  const shownHost = maskDigitRuns(host);
  if (parsed.username !== '' || parsed.password !== '') {
    problems.push({
      rule: 'url-userinfo',
      severity: 'error',
      message: `A link has a user name or password before "@": it reads as one site and opens ${shownHost}.`,
      fix: 'Remove everything between "https://" and "@"; link straight to the verified host.',
    });
  }
  if (isIP(host) !== 0) {
    return [...problems, { rule: 'url-ip-literal', severity: 'error', message: 'A link points to an IP address instead of a domain name.', fix: 'Link to a page on a verified domain name; customers cannot tell who owns an address.' }];
  }
  if (parsed.port !== '' && !policy.allowedPorts.has(Number(parsed.port))) {
    problems.push({ rule: 'url-port', severity: 'error', message: `A link to ${shownHost} uses a port other than https's default.`, fix: 'Serve the page on the default https port (443), or allow this port explicitly.' });
  }
  if (isHostOnAllowlist(host, urlShortenerHosts)) {
    return [...problems, { rule: 'url-shortener', severity: 'error', message: `A link goes through the URL shortener ${shownHost}, which hides where it leads.`, fix: 'Link directly to the page on your verified domain.' }];
  }
  if (!isHostOnAllowlist(host, policy.verifiedDomains)) problems.push(describeUnverifiedHost(shownHost, policy));
  return problems;
}

function describeUnverifiedHost(host: string, policy: UrlPolicy): Problem {
  const allowlist = policy.verifiedDomains.length === 0 ? 'no verified domains are configured' : `verified: ${policy.verifiedDomains.join(', ')}`;
  return {
    rule: 'url-unverified-domain',
    severity: 'error',
    message: `A link goes to ${host}, which is not on the verified-domain allowlist (${allowlist}).`,
    fix: 'Link to a page on a verified domain, or add the domain to the allowlist once you have verified you control it.',
  };
}

/**
 * A link in a template may end in a variable ("https://shop.example/track/{{1}}"); only the fixed
 * part is known when the template is checked, so it must already end the host. Otherwise a
 * parameter could choose the site: "https://shop.example{{1}}" with ".evil.example".
 */
export function analyseTemplateUrl(url: UrlToAnalyse, policy: UrlPolicy): Problem[] {
  const variable = /\{\{/.exec(url.text);
  if (!variable) return analyseUrl(url, policy);
  const fixedPart = url.text.slice(0, variable.index);
  const hostEnds = url.hasScheme ? /^[a-z][a-z0-9+.-]*:[/\\]*[^/?#\\]+[/?#\\]/i : /^[^/?#\\]+[/?#\\]/;
  if (!hostEnds.test(fixedPart)) {
    return [
      {
        rule: 'url-variable-host',
        severity: 'error',
        message: 'A link has a variable before its host ends, so a parameter could send the customer to another site.',
        fix: 'Write the host in full and end it with "/" before the variable, e.g. https://shop.example/track/{{1}}.',
      },
    ];
  }
  return analyseUrl({ text: fixedPart, hasScheme: url.hasScheme }, policy);
}
