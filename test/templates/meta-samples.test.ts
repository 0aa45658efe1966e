import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { lintTemplateDefinition } from '../../src/templates/template-linter.js';
import { hasShared, missingSharedMessage, samplesDir } from '../support/shared-fixtures.js';
import { noteSkippedWhen } from '../support/skip-notice.js';

/**
 * The template bodies in Meta's public samples (create-template requests, and the templates a
 * GET returns), linted as a business's CI would. Some are from before Meta's 2023 categories
 * (TRANSACTIONAL) and authentication rules, and the linter says so; everything else in them is
 * ordinary and must pass, so these pin the false-positive rate on real templates.
 */

noteSkippedWhen(!hasShared, 'template linter on Meta sample templates', missingSharedMessage);

const javaSamples = path.join(samplesDir, 'whatsapp-business-java-api');
const options = { verifiedDomains: ['coursera.org'] };

function findingsOf(body: unknown): string[] {
  return lintTemplateDefinition(body, options).findings.map((finding) => `${finding.rule} ${finding.severity} ${finding.path}`);
}

describe.skipIf(!hasShared)('template linter on Meta sample templates', () => {
  const expectedFindings: Record<string, string[]> = {
    // TRANSACTIONAL was retired in 2023; the body sends a code outside an AUTHENTICATION template.
    'expectedTemplate1.json': ['template-structure error category', 'secret-wording error components[1].text'],
    'expectedTemplate2.json': ['template-structure error category'],
    'expectedTemplate4.json': ['template-structure error category'],
    'expectedTemplate5.json': [],
    // A URL button ending in a variable, on the verified domain.
    'expectedTemplate6.json': [],
    'expectedTemplate7.json': [],
    // The business's number in a PHONE_NUMBER button, an order id in the example: neither is a finding.
    'expectedTemplate8.json': [],
    // An old-style authentication template: a quick reply instead of Meta's OTP button.
    'expectedTemplate9.json': ['template-structure error components[3].buttons'],
  };

  it('knows every create-template sample', () => {
    const files = readdirSync(path.join(javaSamples, 'expected', 'template')).filter((file) => file.endsWith('.json'));
    expect(files.sort()).toEqual(Object.keys(expectedFindings).sort());
  });

  for (const [file, expected] of Object.entries(expectedFindings)) {
    it(`lints ${file} to exactly the findings it deserves`, () => {
      const body: unknown = JSON.parse(readFileSync(path.join(javaSamples, 'expected', 'template', file), 'utf8'));
      expect(findingsOf(body)).toEqual(expected);
    });
  }

  it('treats the same URL button as unverified when its domain is not on the allowlist', () => {
    const body: unknown = JSON.parse(readFileSync(path.join(javaSamples, 'expected', 'template', 'expectedTemplate6.json'), 'utf8'));
    const findings = lintTemplateDefinition(body, { verifiedDomains: ['shop.com'] }).findings;
    expect(findings.map((finding) => `${finding.rule} ${finding.path}`)).toEqual(['url-unverified-domain components[3].buttons[0].url', 'url-unverified-domain components[3].buttons[0].example[0]']);
  });

  it('lints templates as a GET returns them (status, id and other extra fields accepted)', () => {
    const listed = ['retTemplate1.json', 'retTemplate2.json', 'retTemplate3.json'].flatMap(
      (file) => (JSON.parse(readFileSync(path.join(javaSamples, file), 'utf8')) as { data: { name: string }[] }).data,
    );
    const byTemplate = Object.fromEntries(listed.map((template) => [template.name, findingsOf(template)]));
    expect(byTemplate).toEqual({
      welcome_template3: [],
      schedule_confirmation5: [],
      schedule_confirmation3: [],
      // Listed as AUTHENTICATION after Meta's recategorisation, without the OTP button that category now needs.
      number_confirmation: ['template-structure error components'],
      welcome_template2: [],
      confirmacao_horario: ['url-unverified-domain error components[3].buttons[0].url'],
      hello_world: [],
    });
  });
});
