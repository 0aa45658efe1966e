import { describe, expect, it } from 'vitest';
import { findUrls } from './url-finder.js';

function texts(text: string): string[] {
  return findUrls(text).map((url) => url.text);
}

describe('findUrls', () => {
  it('finds links with a scheme, including backslashed and userinfo tricks, as one link each', () => {
    expect(texts('Go to https://good.com/a?b=c#d now')).toEqual(['https://good.com/a?b=c#d']);
    expect(texts('see http:\\\\evil.com\\x')).toEqual(['http:\\\\evil.com\\x']);
    expect(texts('https://good.com@evil.com/login')).toEqual(['https://good.com@evil.com/login']);
  });

  it('finds links without a scheme: www., bare host names with a real top-level domain, IPv4 with a port or path', () => {
    const found = findUrls('Visit www.good.com, bit.ly/x or evil.co.uk/login, 192.168.0.1/admin and 10.0.0.1:8080.');
    expect(found.map((url) => [url.text, url.hasScheme])).toEqual([
      ['www.good.com', false],
      ['bit.ly/x', false],
      ['evil.co.uk/login', false],
      ['192.168.0.1/admin', false],
      ['10.0.0.1:8080', false],
    ]);
  });

  it('drops sentence punctuation and WhatsApp formatting marks after a link', () => {
    expect(texts('(see https://good.com/a).')).toEqual(['https://good.com/a']);
    expect(texts('*https://good.com/b*')).toEqual(['https://good.com/b']);
    expect(texts('"https://good.com/c"!')).toEqual(['https://good.com/c']);
  });

  it('keeps a template variable that is part of a link', () => {
    expect(texts('Track: https://good.com/t/{{1}}')).toEqual(['https://good.com/t/{{1}}']);
    expect(texts('Track: https://{{1}}')).toEqual(['https://{{1}}']);
    expect(texts('(at https://good.com/t/{{1}}).')).toEqual(['https://good.com/t/{{1}}']);
  });

  it('ignores file names, abbreviations, version numbers, amounts and e-mail addresses', () => {
    for (const text of ['invoice.pdf', 'e.g. this', 'i.e.', 'version 1.2.3.4 is out', 'R$ 1.234,56', 'ada@good.com', 'node.js', 'Mr.Smith', '{{1}}.com']) {
      expect(texts(text)).toEqual([]);
    }
  });

  it('stays fast on pathological input', () => {
    const inputs = ['a.'.repeat(20_000), 'a'.repeat(100_000), `${'a-'.repeat(20_000)}.`, 'https://'.repeat(5_000), `${'1.'.repeat(20_000)}/`, `https://x${'}'.repeat(50_000)}`, `https://x${'.'.repeat(100_000)}`, `https://x/${'{{'.repeat(20_000)}`];
    const started = performance.now();
    for (const input of inputs) findUrls(input);
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it('finds a www. link whatever its top-level domain', () => {
    expect(findUrls('visit www.evil.lol today').map((url) => url.text)).toEqual(['www.evil.lol']);
  });
});
