import { describe, expect, it } from 'vitest';
import { checkEndpointUrl, isAddressLiteralHost, readConnectHost } from './endpoint-url.js';

describe('checkEndpointUrl', () => {
  it('accepts https URLs with ports, paths, query strings, IPv6 literals and IDNs', () => {
    for (const url of ['https://crm.example.com/hooks/rampart?token=abc&x=1', 'https://crm.example.com:8443/', 'https://[2606:4700::1]/in', 'https://bücher.example/']) {
      expect(checkEndpointUrl(url, { isHttpAllowed: false }), url).toMatchObject({ isValid: true });
    }
  });

  it('accepts http only when the endpoint allows it', () => {
    expect(checkEndpointUrl('http://crm.internal:8080/', { isHttpAllowed: false })).toMatchObject({ isValid: false });
    expect(checkEndpointUrl('http://crm.internal:8080/', { isHttpAllowed: true })).toMatchObject({ isValid: true });
    expect(checkEndpointUrl('HTTPS://CRM.example.com/', { isHttpAllowed: false })).toMatchObject({ isValid: true });
  });

  it('refuses what the URL parser would silently repair or reinterpret', () => {
    for (const url of [' https://crm.example.com/', 'https://crm.example.com/\t', 'https:/crm.example.com/', 'https:crm.example.com', 'https://crm.example.com\\@evil.example/']) {
      expect(checkEndpointUrl(url, { isHttpAllowed: false }), JSON.stringify(url)).toMatchObject({ isValid: false });
    }
    expect(checkEndpointUrl(`https://crm.example.com/${'a'.repeat(2_100)}`, { isHttpAllowed: false })).toMatchObject({ isValid: false });
  });
});

describe('readConnectHost', () => {
  it('strips IPv6 brackets and keeps names and IPv4 as the parser normalised them', () => {
    expect(readConnectHost(new URL('https://[::1]:8443/'))).toBe('::1');
    expect(readConnectHost(new URL('https://CRM.Example.com/'))).toBe('crm.example.com');
    expect(readConnectHost(new URL('https://0x7f.1/'))).toBe('127.0.0.1');
    expect(isAddressLiteralHost(new URL('https://2130706433/'))).toBe(true);
    expect(isAddressLiteralHost(new URL('https://crm.example.com/'))).toBe(false);
  });
});
