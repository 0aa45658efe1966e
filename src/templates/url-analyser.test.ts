import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Problem } from './finding.js';
import { analyseTemplateUrl, analyseUrl } from './url-analyser.js';
import { createUrlPolicy, isHostOnAllowlist } from './url-policy.js';

const policy = createUrlPolicy({ verifiedDomains: ['good.com', 'bücher.de'] });

function rulesOf(text: string, hasScheme = true): string[] {
  return analyseUrl({ text, hasScheme }, policy).map((problem) => problem.rule);
}

function errorsOf(problems: readonly Problem[]): Problem[] {
  return problems.filter((problem) => problem.severity === 'error');
}

describe('analyseUrl', () => {
  it('accepts https links to a verified domain or its subdomains, in any case, with a trailing dot, or internationalised', () => {
    for (const url of ['https://good.com', 'https://shop.good.com/a?b=c#d', 'HTTPS://GOOD.COM/X', 'https://good.com./', 'https://good.com:443/', 'https://bücher.de/', 'https://xn--bcher-kva.de/', 'https://ｇｏｏｄ.com/']) {
      expect(rulesOf(url)).toEqual([]);
    }
  });

  it('refuses hosts that only look like a verified domain', () => {
    for (const url of ['https://evilgood.com/', 'https://good.com.evil.com/', 'https://good.co/', 'https://gооd.com/', 'https://good.com\t.evil.com/']) {
      expect(rulesOf(url)).toContain('url-unverified-domain');
    }
  });

  it('refuses a verified name placed before "@" (userinfo), naming the host that would really open', () => {
    const problems = analyseUrl({ text: 'https://good.com@evil.com/login', hasScheme: true }, policy);
    expect(problems.map((problem) => problem.rule)).toEqual(['url-userinfo', 'url-unverified-domain']);
    expect(problems[0]!.message).toContain('opens evil.com');
    expect(rulesOf('https://good.com%2F@evil.com')).toContain('url-userinfo');
  });

  it('refuses backslashes, which browsers read as "/" and other clients do not', () => {
    expect(rulesOf('https://evil.com\\@good.com/')).toEqual(['url-ambiguous', 'url-unverified-domain']);
    expect(rulesOf('https://good.com\\evil.com')).toEqual(['url-ambiguous']);
  });

  it('refuses invisible characters, percent-encoded hosts and empty labels even when the host they open is verified', () => {
    expect(rulesOf('https://good.com\u200B.evil.com/')).toEqual(['url-ambiguous', 'url-unverified-domain']);
    expect(rulesOf('https://good.com\u00AD/')).toEqual(['url-ambiguous']);
    expect(rulesOf('https://good%2ecom/')).toEqual(['url-ambiguous']);
    expect(rulesOf('https://.good.com/')).toEqual(['url-ambiguous']);
    expect(rulesOf('https://good.com../')).toEqual(['url-ambiguous', 'url-unverified-domain']);
  });

  it('refuses links that do not start with exactly https://', () => {
    expect(rulesOf('https:/good.com')).toContain('url-ambiguous');
    expect(rulesOf('https:good.com')).toContain('url-ambiguous');
    expect(rulesOf('https:///good.com')).toContain('url-ambiguous');
  });

  it('refuses other schemes', () => {
    expect(rulesOf('http://good.com/')).toEqual(['url-not-https']);
    expect(rulesOf('http://evil.com/')).toEqual(['url-not-https', 'url-unverified-domain']);
    expect(rulesOf('javascript:alert(1)')).toEqual(['url-not-https']);
    expect(analyseUrl({ text: 'ftp://good.com/', hasScheme: true }, policy)[0]!.message).toContain('ftp:');
  });

  it('refuses IP literals in every notation WHATWG URL normalises, and IPv6', () => {
    for (const url of ['https://127.0.0.1/', 'https://2130706433/', 'https://0x7f.1/', 'https://0177.0.0.1/', 'https://127.1/', 'https://[::1]/', 'https://[2001:db8::1]:443/']) {
      expect(rulesOf(url)).toEqual(['url-ip-literal']);
    }
  });

  it('refuses known URL shorteners, subdomains included', () => {
    expect(rulesOf('https://bit.ly/abc')).toEqual(['url-shortener']);
    expect(rulesOf('https://TinyURL.com/abc')).toEqual(['url-shortener']);
    expect(rulesOf('https://www.bit.ly/abc')).toEqual(['url-shortener']);
  });

  it('refuses ports other than 443 unless allowed', () => {
    expect(rulesOf('https://good.com:8443/')).toEqual(['url-port']);
    const withPort = createUrlPolicy({ verifiedDomains: ['good.com'], allowedPorts: [8443] });
    expect(analyseUrl({ text: 'https://good.com:8443/', hasScheme: true }, withPort)).toEqual([]);
  });

  it('warns about a link without scheme and still checks its host', () => {
    expect(rulesOf('www.good.com/x', false)).toEqual(['url-without-scheme']);
    expect(rulesOf('evil.com/x', false)).toEqual(['url-without-scheme', 'url-unverified-domain']);
  });

  it('reports an unparseable link', () => {
    expect(rulesOf('https://999.1.1.1/')).toEqual(['url-invalid']);
    expect(rulesOf('https://good.com%00.evil.com')).toEqual(['url-ambiguous', 'url-invalid']);
  });

  it('says so when no verified domain is configured', () => {
    const none = createUrlPolicy({ verifiedDomains: [] });
    expect(analyseUrl({ text: 'https://good.com', hasScheme: true }, none)[0]!.message).toContain('no verified domains are configured');
  });
});

describe('analyseTemplateUrl', () => {
  it('lints the fixed part of a link that ends in a variable', () => {
    expect(analyseTemplateUrl({ text: 'https://good.com/track/{{1}}', hasScheme: true }, policy)).toEqual([]);
    expect(analyseTemplateUrl({ text: 'https://good.com?order={{order_id}}', hasScheme: true }, policy)).toEqual([]);
    expect(analyseTemplateUrl({ text: 'https://evil.com/{{1}}', hasScheme: true }, policy).map((problem) => problem.rule)).toEqual(['url-unverified-domain']);
  });

  it('refuses a variable before the host ends, which would let a parameter pick the site', () => {
    for (const text of ['https://good.com{{1}}', 'https://{{1}}', 'https://{{1}}.good.com/', 'https://good.com:{{1}}/', '{{1}}', 'https://{{1}}@good.com/']) {
      expect(analyseTemplateUrl({ text, hasScheme: /^https:/.test(text) }, policy).map((problem) => problem.rule)).toEqual(['url-variable-host']);
    }
  });
});

describe('adversarial links', () => {
  const schemes = fc.constantFrom('https://', 'HTTPS://', 'https:/', 'https:\\\\', 'https:', 'https:///', 'http://', 'hTTps://');
  const userinfos = fc.constantFrom('', 'good.com@', 'user:pw@', 'good.com%2F@', 'good.com\\@', '@', 'good.com%40');
  const hosts = fc.constantFrom(
    'good.com', 'sub.good.com', 'GOOD.COM.', 'evil.com', 'good.com.evil.com', 'evilgood.com', 'good.co', 'gооd.com', 'ｇｏｏｄ.com', 'good。com',
    'good．com', '127.0.0.1', '0x7f.1', '2130706433', '[::1]', '[::ffff:127.0.0.1]', 'bit.ly', 'good.com%2eevil.com', 'good%2ecom', 'xn--gd-fmca.com',
    'good.com\u200B.evil.com', 'good.com\u00AD', 'bücher.de', 'xn--bcher-kva.de.evil.com', '%67ood.com', 'good.com..', '.good.com',
  );
  const ports = fc.constantFrom('', ':443', ':8443', ':0', ':', ':0443');
  const tails = fc.constantFrom('', '/', '/x', '\\evil.com', '?q=@evil.com', '#@evil.com', '@evil.com', '.evil.com/', '%2F%2Fevil.com', '/@evil.com', '\t.evil.com', ' evil.com');
  const noise = fc.array(fc.constantFrom('@', '\\', '/', '.', ':', '%', '#', '?', ' ', '\t', '\u3002', '\uFF0E', '\u200B', 'evil', '[', ']'), { maxLength: 3 });
  const adversarialUrl = fc
    .tuple(schemes, userinfos, hosts, ports, tails, noise, fc.nat())
    .map(([scheme, userinfo, host, port, tail, extra, position]) => {
      const url = `${scheme}${userinfo}${host}${port}${tail}`;
      const at = position % (url.length + 1);
      return `${url.slice(0, at)}${extra.join('')}${url.slice(at)}`;
    });

  it('never accepts a link whose host, as a browser parses it, is outside the allowlist', () => {
    fc.assert(
      fc.property(adversarialUrl, (text) => {
        if (errorsOf(analyseUrl({ text, hasScheme: true }, policy)).length > 0) return;
        const parsed = new URL(text);
        expect(parsed.protocol).toBe('https:');
        expect(parsed.username + parsed.password).toBe('');
        expect(parsed.port).toBe('');
        expect(isHostOnAllowlist(parsed.hostname.replace(/\.$/, ''), policy.verifiedDomains)).toBe(true);
      }),
      { numRuns: 2_000 },
    );
  });

  it('never accepts a template link whose variable, whatever its value, could move the host off the allowlist', () => {
    const suffixes = ['.evil.com', '@evil.com/', 'evil.com', '//evil.com', '\\\\evil.com', ':8443', '%2F%2Fevil.com', '\t.evil.com', '#x', '?@evil.com', '/../..//evil.com'];
    fc.assert(
      fc.property(adversarialUrl, fc.nat(), (text, position) => {
        const at = position % (text.length + 1);
        const template = `${text.slice(0, at)}{{1}}`;
        if (errorsOf(analyseTemplateUrl({ text: template, hasScheme: true }, policy)).length > 0) return;
        for (const suffix of suffixes) {
          const parsed = new URL(template.replace('{{1}}', suffix));
          expect(isHostOnAllowlist(parsed.hostname.replace(/\.$/, ''), policy.verifiedDomains)).toBe(true);
          expect(parsed.username + parsed.password).toBe('');
        }
      }),
      { numRuns: 2_000 },
    );
  });
});
