import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { anyText } from '../../test/templates/support/arbitrary-text.js';
import { describeBlockingFindings, hasBlockingFindings } from './finding.js';
import type { Finding } from './finding.js';
import { lintSendParameters, lintTemplateDefinition } from './template-linter.js';
import { InvalidLintOptionsError } from './url-policy.js';

const options = { verifiedDomains: ['shop.com'] };

function template(category: string, text: string, extra: object[] = []) {
  return { name: 'lint_case', language: 'en', category, components: [{ type: 'BODY', text }, ...extra] };
}

function rules(findings: readonly Finding[]): string[] {
  return findings.map((finding) => `${finding.rule} ${finding.path}`);
}

describe('lintTemplateDefinition', () => {
  it('finds nothing in a clean template with a verified link and the business\'s phone button', () => {
    const body = template('UTILITY', 'Hi {{1}}, your order shipped. Track it at https://shop.com/track', [
      { type: 'BUTTONS', buttons: [{ type: 'PHONE_NUMBER', text: 'Call us', phone_number: '+16503087300' }, { type: 'URL', text: 'Track', url: 'https://www.shop.com/t/{{1}}', example: ['https://www.shop.com/t/A1'] }] },
    ]);
    body.components[0] = { ...body.components[0]!, example: { body_text: [['Ada']] } } as never;
    expect(lintTemplateDefinition(body, options)).toEqual({ findings: [], errors: 0, warnings: 0 });
  });

  it('points each content finding at the field it is in: text, example value, button URL, example URL', () => {
    const body = template('MARKETING', 'Card {{1}}', [
      { type: 'BUTTONS', buttons: [{ type: 'URL', text: 'Go', url: 'http://shop.com/{{1}}', example: ['https://evil.com/x'] }] },
    ]);
    body.components[0] = { ...body.components[0]!, example: { body_text: [['4111 1111 1111 1111']] } } as never;
    expect(rules(lintTemplateDefinition(body, options).findings)).toEqual([
      'card-number components[0].example.body_text[0][0]',
      'url-not-https components[1].buttons[0].url',
      'url-unverified-domain components[1].buttons[0].example[0]',
    ]);
  });

  it('applies health terms to every category but UTILITY', () => {
    const text = 'Your chemotherapy appointment is {{1}}';
    for (const category of ['MARKETING', 'AUTHENTICATION', 'TRANSACTIONAL']) {
      expect(lintTemplateDefinition(template(category, text), options).findings.map((finding) => finding.rule)).toContain('health-term');
    }
    expect(lintTemplateDefinition(template('UTILITY', text), options).findings.map((finding) => finding.rule)).not.toContain('health-term');
  });

  it('allows one-time-code wording only in AUTHENTICATION templates', () => {
    const text = 'Your verification code is {{1}}';
    expect(lintTemplateDefinition(template('UTILITY', text), options).findings.map((finding) => finding.rule)).toContain('secret-wording');
    expect(lintTemplateDefinition(template('AUTHENTICATION', text), options).findings.map((finding) => finding.rule)).not.toContain('secret-wording');
  });

  it('refuses a credential in any category, AUTHENTICATION included', () => {
    expect(lintTemplateDefinition(template('AUTHENTICATION', 'key AKIAIOSFODNN7EXAMPLE'), options).findings.map((finding) => finding.rule)).toContain('credential');
  });

  it('quotes the business\'s own wording but never a value', () => {
    const findings = lintTemplateDefinition(template('MARKETING', 'HIV clinic. Card 5555 5555 5555 4444, SSN 536-90-4399'), options).findings;
    const text = findings.map((finding) => finding.message).join('\n');
    expect(text).toContain('("HIV")');
    expect(text).not.toMatch(/5555|536-90|53690/);
  });

  it('refuses invalid options with a clear error', () => {
    expect(() => lintTemplateDefinition(template('UTILITY', 'x'), { verifiedDomains: ['https://shop.com/'] })).toThrow(InvalidLintOptionsError);
  });

  it('finds national phone numbers only when given a default country', () => {
    const body = template('UTILITY', 'Ring 030 12345678');
    expect(lintTemplateDefinition(body, options).findings).toEqual([]);
    expect(rules(lintTemplateDefinition(body, { ...options, defaultCountry: 'DE' }).findings)).toEqual(['phone-number components[0].text']);
  });
});

describe('lintSendParameters', () => {
  const components = (text: string) => [{ type: 'body', parameters: [{ type: 'text', text: 'Ada' }, { type: 'text', text }] }];

  it('finds sensitive values in parameters with their path', () => {
    const result = lintSendParameters('UTILITY', components('IBAN DE89 3704 0044 0532 0130 00'), options);
    expect(rules(result.findings)).toEqual(['iban components[0].parameters[1].text']);
    expect(result.errors).toBe(1);
  });

  it('accepts the whole template object as well as its components', () => {
    const result = lintSendParameters('UTILITY', { name: 'x', language: { code: 'en' }, components: components('https://evil.com/pay') }, options);
    expect(rules(result.findings)).toEqual(['url-unverified-domain components[0].parameters[1].text']);
  });

  it('applies the strictest rules when the category is unknown', () => {
    expect(lintSendParameters(null, components('your HIV results'), options).findings.map((finding) => finding.rule)).toEqual(['health-term']);
    expect(lintSendParameters('utility', components('your HIV results'), options).findings).toEqual([]);
  });

  it('does not name a health term found in a customer\'s parameter', () => {
    const [finding] = lintSendParameters('MARKETING', components('your HIV results'), options).findings;
    expect(finding!.message).not.toContain('HIV');
  });

  it('warns about password-like values outside AUTHENTICATION templates, and not inside', () => {
    expect(lintSendParameters('MARKETING', components('Xk9#pQ2!z'), options).findings.map((finding) => `${finding.rule} ${finding.severity}`)).toEqual(['code-like-value warning']);
    expect(lintSendParameters('AUTHENTICATION', components('Xk9#pQ2!z'), options).findings).toEqual([]);
  });

  it('scans captions and file names of media parameters but does not judge media links as links', () => {
    const media = [{ type: 'header', parameters: [{ type: 'document', document: { link: 'https://cdn.example.net/x.pdf', filename: 'statement-4111111111111111.pdf' } }] }];
    expect(rules(lintSendParameters('UTILITY', media, options).findings)).toEqual(['card-number components[0].parameters[0].document.filename']);
  });

  it('reports parameters that are not a list of components', () => {
    expect(lintSendParameters('UTILITY', 'nope', options).findings.map((finding) => finding.rule)).toEqual(['template-structure']);
  });

  it('gives a send path one blocking message that names paths and fixes, not values', () => {
    const result = lintSendParameters('UTILITY', components('card 4111111111111111'), options);
    expect(hasBlockingFindings(result.findings)).toBe(true);
    const message = describeBlockingFindings(result.findings)!;
    expect(message).toContain('components[0].parameters[1].text: A parameter value contains a Visa card number (ending in 1111). Fix: Never send card numbers');
    expect(message).not.toContain('4111111111111111');
    expect(describeBlockingFindings([])).toBeNull();
  });
});

describe('properties', () => {
  const richText = fc.oneof(
    anyText(80),
    fc.constantFrom('4111 1111 1111 1111', 'https://good.com@evil.com', 'SSN 536-90-4399', 'DE89370400440532013000', 'your OTP {{1}}', 'HIV', '{{1}}', 'a@b.com', '+1 650 308 7300'),
    fc.array(fc.oneof(anyText(20), fc.constantFrom('4111111111111111', ' https://', '{{', '}}', '@', '\\', '.com', '٤١١١')), { maxLength: 8 }).map((parts) => parts.join('')),
  );

  it('never crashes, whatever the body', () => {
    fc.assert(
      fc.property(fc.anything({ withNullPrototype: true, withSparseArray: true }), (value) => {
        expect(() => lintTemplateDefinition(value, options)).not.toThrow();
        expect(() => lintSendParameters('MARKETING', value, options)).not.toThrow();
      }),
    );
  });

  it('never crashes on any text in any field, and always reports a consistent count', () => {
    fc.assert(
      fc.property(fc.constantFrom('MARKETING', 'UTILITY', 'AUTHENTICATION', 'OTHER'), richText, richText, richText, (category, body, example, url) => {
        const definition = template(category, body, [{ type: 'BUTTONS', buttons: [{ type: 'URL', text: 'x', url, example: [example] }] }]);
        const result = lintTemplateDefinition(definition, options);
        expect(result.errors + result.warnings).toBe(result.findings.length);
        lintSendParameters(category, [{ type: 'body', parameters: [{ type: 'text', text: body }] }], options);
      }),
    );
  });

  it('never shows more than the last four digits of a card number, wherever it hides (text, link host, scheme, type)', () => {
    const cards = ['4111111111111111', '5555555555554444', '378282246310005', '6011111111111117', '3530111333300000'];
    const hidingPlaces = fc.constantFrom(
      (card: string) => card.replace(/(\d{4})(?=\d)/g, '$1 '),
      (card: string) => card,
      (card: string) => `https://${card}.evil.com/`,
      (card: string) => `https://shop.com:${card.slice(0, 5)}/`,
      (card: string) => `x${card}://shop.com`,
      (card: string) => `https://user${card}@evil.com`,
    );
    fc.assert(
      fc.property(fc.constantFrom(...cards), hidingPlaces, richText, richText, (card, hide, before, after) => {
        const text = `${before} ${hide(card)} ${after}`;
        const findings = [
          ...lintSendParameters('MARKETING', [{ type: 'body', parameters: [{ type: 'text', text }] }], options).findings,
          ...lintTemplateDefinition({ ...template('MARKETING', text), components: [{ type: `T${card}`, text }] }, options).findings,
        ];
        for (const finding of findings) {
          const shown = `${finding.message} ${finding.fix}`.replace(/[\s.\-_]/g, '');
          for (let start = 0; start + 5 <= card.length; start += 1) expect(shown).not.toContain(card.slice(start, start + 5));
        }
      }),
    );
  });
});
