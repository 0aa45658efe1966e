import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Finding } from './finding.js';
import { checkTemplateStructure } from './template-structure.js';

function where(findings: readonly Finding[]): string[] {
  return findings.map((finding) => `${finding.severity} ${finding.path}`);
}

const marketing = {
  name: 'autumn_sale',
  language: 'en_US',
  category: 'MARKETING',
  components: [
    { type: 'HEADER', format: 'TEXT', text: 'Our {{1}} sale', example: { header_text: ['autumn'] } },
    { type: 'BODY', text: 'Hi {{1}}, take {{2}} off with the code below.', example: { body_text: [['Ada', '15%']] } },
    { type: 'FOOTER', text: 'Reply STOP to opt out' },
    {
      type: 'BUTTONS',
      buttons: [
        { type: 'QUICK_REPLY', text: 'Stop promotions' },
        { type: 'URL', text: 'Shop', url: 'https://shop.com/sale/{{1}}', example: ['https://shop.com/sale/autumn'] },
        { type: 'COPY_CODE', example: 'AUTUMN15' },
      ],
    },
  ],
};

const authentication = {
  name: 'login_code',
  language: 'en',
  category: 'AUTHENTICATION',
  components: [
    { type: 'BODY', add_security_recommendation: true },
    { type: 'FOOTER', code_expiration_minutes: 10 },
    { type: 'BUTTONS', buttons: [{ type: 'OTP', otp_type: 'ONE_TAP', text: 'Copy code', autofill_text: 'Autofill', package_name: 'com.shop.app', signature_hash: 'K8a/AINcGX7' }] },
  ],
};

const named = {
  name: 'order_shipped',
  language: 'pt_BR',
  category: 'utility',
  parameter_format: 'named',
  components: [
    { type: 'body', text: 'Olá {{first_name}}, o pedido {{order_id}} saiu.', example: { body_text_named_params: [{ param_name: 'first_name', example: 'Maria' }, { param_name: 'order_id', example: 'A-1' }] } },
  ],
};

describe('checkTemplateStructure', () => {
  it('accepts well-formed marketing, authentication and named-parameter templates (types in any case)', () => {
    expect(checkTemplateStructure(marketing)).toEqual([]);
    expect(checkTemplateStructure(authentication)).toEqual([]);
    expect(checkTemplateStructure(named)).toEqual([]);
  });

  it('names each missing or malformed top-level field by its path', () => {
    const findings = checkTemplateStructure({ name: 'Bad Name', category: 'TRANSACTIONAL', components: [] });
    expect(where(findings)).toEqual(['error name', 'error language', 'error category', 'error components']);
    expect(findings[1]!.message).toBe('Language is required (string).');
    expect(findings[2]!.message).toContain('expected one of "MARKETING"|"UTILITY"|"AUTHENTICATION"');
  });

  it('reports a body that is not an object at the root', () => {
    for (const body of [null, 42, 'text', [1]]) expect(where(checkTemplateStructure(body))).toEqual(['error $']);
  });

  it('requires one BODY, at most one of each component, and a type on each', () => {
    const findings = checkTemplateStructure({ ...marketing, components: [{ type: 'FOOTER', text: 'a' }, { type: 'FOOTER', text: 'b' }, { text: 'no type' }] });
    expect(where(findings)).toEqual(['error components[2].type', 'error components', 'error components']);
    expect(findings.map((finding) => finding.message)).toContain('A template needs a BODY component.');
  });

  it('checks component fields: text lengths, header formats, media examples', () => {
    const findings = checkTemplateStructure({
      ...marketing,
      components: [
        { type: 'HEADER', format: 'IMAGE' },
        { type: 'BODY', text: 'x'.repeat(1_025) },
        { type: 'FOOTER', text: 'y'.repeat(61) },
      ],
    });
    expect(where(findings)).toEqual(['error components[0].example.header_handle', 'error components[1].text', 'error components[2].text']);
  });

  it('checks buttons by type and reports the exact button and field', () => {
    const findings = checkTemplateStructure({
      ...marketing,
      components: [
        { type: 'BODY', text: 'Hello' },
        {
          type: 'BUTTONS',
          buttons: [
            { type: 'URL', text: 'Go', url: 'https://shop.com/{{1}}/x' },
            { type: 'PHONE_NUMBER', text: 'Call' },
            { type: 'QUICK_REPLY', text: 'A label far longer than twenty-five characters' },
            { type: 'OTP', otp_type: 'COPY_CODE' },
            { text: 'typeless' },
          ],
        },
      ],
    });
    expect(where(findings)).toEqual([
      'error components[1].buttons[0].url',
      'error components[1].buttons[0].example',
      'error components[1].buttons[1].phone_number',
      'error components[1].buttons[2].text',
      'error components[1].buttons[3].type',
      'error components[1].buttons[4].type',
    ]);
  });

  it('limits button counts by type and requires exactly one OTP button in authentication templates', () => {
    const twoPhones = { type: 'BUTTONS', buttons: [{ type: 'PHONE_NUMBER', text: 'a', phone_number: '+15550001111' }, { type: 'PHONE_NUMBER', text: 'b', phone_number: '+15550001112' }] };
    expect(where(checkTemplateStructure({ ...marketing, components: [{ type: 'BODY', text: 'x' }, twoPhones] }))).toEqual(['error components[1].buttons']);
    const quickReplyOnly = { ...authentication, components: [{ type: 'BODY' }, { type: 'BUTTONS', buttons: [{ type: 'QUICK_REPLY', text: 'Not me' }] }] };
    expect(checkTemplateStructure(quickReplyOnly).map((finding) => finding.message)).toEqual(['An AUTHENTICATION template has exactly one button, of type OTP.']);
    const noButtons = { ...authentication, components: [{ type: 'BODY' }] };
    expect(checkTemplateStructure(noButtons).map((finding) => finding.message)).toEqual(['An AUTHENTICATION template needs a BUTTONS component with one OTP button.']);
  });

  it('checks variables against parameter_format and examples', () => {
    const body = (text: string, example?: unknown) => ({ ...marketing, components: [{ type: 'BODY', text, ...(example ? { example } : {}) }] });
    expect(where(checkTemplateStructure(body('Hi {{1}}')))).toEqual(['error components[0].example.body_text']);
    expect(checkTemplateStructure(body('Hi {{1}} {{3}}', { body_text: [['a', 'b']] }))[0]!.message).toContain('without gaps');
    expect(checkTemplateStructure(body('Hi {{name}}', { body_text: [['a']] }))[0]!.message).toContain('parameter_format');
    expect(checkTemplateStructure(body('Hi {{1}} {{2}}', { body_text: [['a']] }))[0]!.message).toBe('2 variables but 1 example value.');
    const namedMissing = { ...named, components: [{ type: 'BODY', text: 'Hi {{first_name}} {{city}}', example: { body_text_named_params: [{ param_name: 'first_name', example: 'Ana' }] } }] };
    expect(checkTemplateStructure(namedMissing)[0]!.message).toBe('No example for {{city}}.');
  });

  it('warns about component and button types it does not know, instead of failing', () => {
    const findings = checkTemplateStructure({ ...marketing, components: [{ type: 'BODY', text: 'x' }, { type: 'HOLOGRAM' }, { type: 'BUTTONS', buttons: [{ type: 'TELEPORT', text: 'go' }] }] });
    expect(findings.map((finding) => `${finding.rule} ${finding.severity} ${finding.path}`)).toEqual([
      'template-unknown-type warning components[1].type',
      'template-unknown-type warning components[2].buttons[0].type',
    ]);
  });

  it('checks the components of carousel cards', () => {
    const carousel = { type: 'CAROUSEL', cards: [{ components: [{ type: 'HEADER', format: 'IMAGE', example: { header_handle: ['h'] } }, { type: 'BUTTONS', buttons: [{ type: 'URL', text: 'x' }] }] }] };
    expect(where(checkTemplateStructure({ ...marketing, components: [{ type: 'BODY', text: 'x' }, carousel] }))).toEqual(['error components[1].cards[0].components[1].buttons[0].url']);
  });

  it('never throws, whatever the input', () => {
    fc.assert(
      fc.property(fc.anything({ withNullPrototype: true, withBigInt: true, withMap: true, withSet: true, withSparseArray: true, withDate: true }), (value) => {
        expect(Array.isArray(checkTemplateStructure(value))).toBe(true);
        expect(Array.isArray(checkTemplateStructure({ ...marketing, components: [value, { type: 'BUTTONS', buttons: [value] }] }))).toBe(true);
      }),
    );
  });
});
