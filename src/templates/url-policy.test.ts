import { describe, expect, it } from 'vitest';
import { createUrlPolicy, InvalidLintOptionsError, isHostOnAllowlist, normaliseVerifiedDomain } from './url-policy.js';

describe('normaliseVerifiedDomain', () => {
  it('normalises case, trailing dots, wildcards and internationalised names the way WHATWG URL does', () => {
    expect(normaliseVerifiedDomain(' Shop.Example.COM. ')).toBe('shop.example.com');
    expect(normaliseVerifiedDomain('*.shop.com')).toBe('shop.com');
    expect(normaliseVerifiedDomain('Bücher.de')).toBe('xn--bcher-kva.de');
    expect(normaliseVerifiedDomain('xn--bcher-kva.de')).toBe('xn--bcher-kva.de');
    expect(normaliseVerifiedDomain('ｓｈｏｐ.com')).toBe('shop.com');
  });

  it('refuses URLs, IP addresses, single labels, ports, empty labels and numeric last labels', () => {
    for (const entry of ['https://shop.com', 'shop.com/path', '10.0.0.1', '[::1]', 'localhost', 'shop.com:8443', 'shop..com', 'user@shop.com', '0x7f.1', 'shop.123', '']) {
      expect(normaliseVerifiedDomain(entry)).toBeNull();
    }
  });
});

describe('createUrlPolicy', () => {
  it('lists every invalid entry in one error and skips blank ones', () => {
    expect(() => createUrlPolicy({ verifiedDomains: ['shop.com', 'https://a.com', '1.2.3.4'] })).toThrow(InvalidLintOptionsError);
    expect(() => createUrlPolicy({ verifiedDomains: ['https://a.com', '1.2.3.4'] })).toThrow(/"https:\/\/a\.com", "1\.2\.3\.4"/);
    expect(createUrlPolicy({ verifiedDomains: ['shop.com', ' ', 'SHOP.com'] }).verifiedDomains).toEqual(['shop.com']);
  });

  it('refuses ports outside 1–65535', () => {
    expect(() => createUrlPolicy({ verifiedDomains: [], allowedPorts: [0] })).toThrow(InvalidLintOptionsError);
    expect(() => createUrlPolicy({ verifiedDomains: [], allowedPorts: [70000] })).toThrow(InvalidLintOptionsError);
  });
});

describe('isHostOnAllowlist', () => {
  it('matches the domain and its subdomains on label boundaries only', () => {
    expect(isHostOnAllowlist('shop.com', ['shop.com'])).toBe(true);
    expect(isHostOnAllowlist('a.b.shop.com', ['shop.com'])).toBe(true);
    expect(isHostOnAllowlist('evilshop.com', ['shop.com'])).toBe(false);
    expect(isHostOnAllowlist('shop.com.evil.com', ['shop.com'])).toBe(false);
    expect(isHostOnAllowlist('shop.co', ['shop.com'])).toBe(false);
    expect(isHostOnAllowlist('shop.com', [])).toBe(false);
  });
});
