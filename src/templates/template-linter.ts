import type { CountryCode } from 'libphonenumber-js';
import { countFindings, formatPath, removeDuplicateFindings } from './finding.js';
import type { Finding, FindingCounts } from './finding.js';
import { collectSendParameterFields } from './send-parameter-fields.js';
import { collectTemplateFields } from './template-fields.js';
import type { TemplateField } from './template-fields.js';
import { readTemplateCategory, templateCategories } from './template-schema.js';
import type { TemplateCategory } from './template-schema.js';
import { checkTemplateStructure } from './template-structure.js';
import { scanText } from './text-scanner.js';
import { createUrlPolicy } from './url-policy.js';
import type { UrlPolicy } from './url-policy.js';

/**
 * The template linter's entry points: one for a template definition (at creation, and in a
 * business's CI through `rampart templates lint`), one for the values filled in at each send.
 * Both are pure: no I/O, no configuration read, no state; they never throw on their input (only
 * on invalid options) and never quote a sensitive value in full.
 */

export interface TemplateLintOptions {
  /** Domains the business has verified it controls; links must go there (subdomains included). */
  verifiedDomains: readonly string[];
  /** Ports other than 443 that links may use (none by default). */
  allowedPorts?: readonly number[];
  /**
   * Region for phone numbers written without +country code (e.g. 'IN'). Unset, only numbers in
   * international form are found, which avoids reading dates and ids as phone numbers.
   */
  defaultCountry?: CountryCode;
}

export interface TemplateLintResult extends FindingCounts {
  findings: Finding[];
}

interface PreparedOptions {
  policy: UrlPolicy;
  defaultCountry: CountryCode | undefined;
}

/**
 * Lints a create-template body (Meta's `POST /<WABA_ID>/message_templates` JSON): its structure,
 * then every text, example and link in it for the category it declares.
 * @throws InvalidLintOptionsError when a verified domain or port is not one.
 */
export function lintTemplateDefinition(body: unknown, options: TemplateLintOptions): TemplateLintResult {
  const prepared = prepareOptions(options);
  const structure = checkTemplateStructure(body);
  const content = scanFields(collectTemplateFields(body), readTemplateCategory(body), prepared);
  return summarise([...structure, ...content]);
}

/**
 * Lints the values of one template send: the Cloud API's `template.components` array (or the
 * whole `template` object). `templateCategory` is the category Meta approved the template in;
 * pass null when it is not known, and the strictest rules apply.
 * @throws InvalidLintOptionsError when a verified domain or port is not one.
 */
export function lintSendParameters(templateCategory: string | null, parameters: unknown, options: TemplateLintOptions): TemplateLintResult {
  const prepared = prepareOptions(options);
  const components = isTemplateObject(parameters) ? parameters.components : parameters;
  if (components !== undefined && !Array.isArray(components)) {
    return summarise([
      {
        rule: 'template-structure',
        severity: 'error',
        path: formatPath(['components']),
        message: 'The template parameters are not a list of components.',
        fix: 'Pass template.components as the Cloud API defines it: [{ type, parameters: [...] }, ...].',
      },
    ]);
  }
  return summarise(scanFields(collectSendParameterFields(components ?? []), toCategory(templateCategory), prepared));
}

function prepareOptions(options: TemplateLintOptions): PreparedOptions {
  const policy = createUrlPolicy({ verifiedDomains: options.verifiedDomains, ...(options.allowedPorts ? { allowedPorts: options.allowedPorts } : {}) });
  return { policy, defaultCountry: options.defaultCountry };
}

function scanFields(fields: readonly TemplateField[], category: TemplateCategory | null, options: PreparedOptions): Finding[] {
  return fields.flatMap((field) => {
    const problems = scanText(field.text, { role: field.role, category, policy: options.policy, ...(options.defaultCountry ? { defaultCountry: options.defaultCountry } : {}) });
    // Keys in reading order (rule, severity, path, message, fix): the CLI prints these objects as they are.
    return problems.map((problem) => ({ rule: problem.rule, severity: problem.severity, path: formatPath(field.path), message: problem.message, fix: problem.fix }));
  });
}

function summarise(findings: readonly Finding[]): TemplateLintResult {
  const unique = removeDuplicateFindings(findings);
  return { findings: unique, ...countFindings(unique) };
}

function toCategory(category: string | null): TemplateCategory | null {
  const upper = category?.toUpperCase();
  return templateCategories.find((known) => known === upper) ?? null;
}

function isTemplateObject(value: unknown): value is { components?: unknown } {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
