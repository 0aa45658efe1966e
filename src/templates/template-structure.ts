import type { z } from 'zod';
import { formatPath } from './finding.js';
import type { Finding } from './finding.js';
import { maskDigitRuns } from './masking.js';
import { buttonSchemas, componentSchemas, isButtonType, isComponentType, readTemplateCategory, readType, templateBodySchema } from './template-schema.js';
import type { TemplateCategory } from './template-schema.js';
import { checkTemplateVariables } from './template-variables.js';

/**
 * Structure findings for a create-template body: the shape Meta requires (zod), then the rules
 * that span fields (one BODY, examples for every variable, which buttons which category may use).
 * Never throws, whatever the input: a malformed body is a list of findings with paths.
 */
export function checkTemplateStructure(body: unknown): Finding[] {
  const parsed = templateBodySchema.safeParse(body);
  const findings = parsed.success ? [] : describeIssues(parsed.error.issues, []);
  const components = (body as { components?: unknown } | null)?.components;
  if (!Array.isArray(components)) return findings;
  const category = readTemplateCategory(body);
  findings.push(...checkComponents(components, ['components'], category));
  if (category === 'AUTHENTICATION' && components.length > 0 && !components.some((component) => readType(component) === 'BUTTONS')) {
    findings.push(structureError(['components'], 'an AUTHENTICATION template needs a BUTTONS component with one OTP button'));
  }
  findings.push(...checkTemplateVariables(body as Record<string, unknown>));
  return findings;
}

function checkComponents(components: readonly unknown[], path: PropertyKey[], category: TemplateCategory | null): Finding[] {
  // An empty list is already reported by the body schema.
  if (components.length === 0) return [];
  const findings: Finding[] = [];
  const seen = new Map<string, number>();
  components.forEach((component, index) => {
    const type = readType(component);
    const componentPath = [...path, index];
    if (type !== null) seen.set(type, (seen.get(type) ?? 0) + 1);
    findings.push(...checkComponent(component, type, componentPath, category));
  });
  for (const [type, count] of seen) {
    if (count > 1 && isComponentType(type)) findings.push(structureError(path, `a template may have only one ${type} component, this one has ${count}`));
  }
  if (!seen.has('BODY')) findings.push(structureError(path, 'a template needs a BODY component'));
  return findings;
}

function checkComponent(component: unknown, type: string | null, path: PropertyKey[], category: TemplateCategory | null): Finding[] {
  if (type === null) return [structureError([...path, 'type'], 'a component needs a type: HEADER, BODY, FOOTER or BUTTONS')];
  if (!isComponentType(type)) return [unknownType([...path, 'type'], 'component', type)];
  const parsed = componentSchemas[type].safeParse(component);
  const findings = parsed.success ? [] : describeIssues(parsed.error.issues, path);
  const value = component as Record<string, unknown>;
  if (type === 'HEADER') findings.push(...checkHeader(value, path));
  if (type === 'BUTTONS' && Array.isArray(value.buttons)) findings.push(...checkButtons(value.buttons, [...path, 'buttons'], category));
  if (type === 'CAROUSEL' && Array.isArray(value.cards)) {
    value.cards.forEach((card, index) => {
      const cardComponents = (card as { components?: unknown } | null)?.components;
      if (Array.isArray(cardComponents)) findings.push(...checkCardComponents(cardComponents, [...path, 'cards', index, 'components'], category));
    });
  }
  if ((type === 'BODY' || type === 'FOOTER') && category !== 'AUTHENTICATION' && typeof value.text !== 'string') {
    findings.push(structureError([...path, 'text'], `a ${type} component needs text (only authentication templates let Meta write it)`));
  }
  return findings;
}

/** Carousel cards hold their own HEADER, BODY and BUTTONS, checked like a template's but without the one-BODY rule. */
function checkCardComponents(components: readonly unknown[], path: PropertyKey[], category: TemplateCategory | null): Finding[] {
  return components.flatMap((component, index) => checkComponent(component, readType(component), [...path, index], category));
}

function checkHeader(header: Record<string, unknown>, path: PropertyKey[]): Finding[] {
  const format = typeof header.format === 'string' ? header.format.toUpperCase() : null;
  const example = header.example as { header_handle?: unknown } | undefined;
  if (format === 'TEXT' && typeof header.text !== 'string') return [structureError([...path, 'text'], 'a TEXT header needs text')];
  if (format !== null && ['IMAGE', 'VIDEO', 'GIF', 'DOCUMENT'].includes(format) && !Array.isArray(example?.header_handle)) {
    return [structureError([...path, 'example', 'header_handle'], `a ${format} header needs example.header_handle: a sample uploaded with the Resumable Upload API`)];
  }
  return [];
}

const buttonLimits: Readonly<Record<string, number>> = { URL: 2, PHONE_NUMBER: 1, COPY_CODE: 1, OTP: 1, FLOW: 1, VOICE_CALL: 1 };

function checkButtons(buttons: readonly unknown[], path: PropertyKey[], category: TemplateCategory | null): Finding[] {
  const findings: Finding[] = [];
  const counts = new Map<string, number>();
  buttons.forEach((button, index) => {
    const type = readType(button);
    const buttonPath = [...path, index];
    if (type === null) {
      findings.push(structureError([...buttonPath, 'type'], 'a button needs a type such as QUICK_REPLY, URL or PHONE_NUMBER'));
      return;
    }
    counts.set(type, (counts.get(type) ?? 0) + 1);
    if (!isButtonType(type)) {
      findings.push(unknownType([...buttonPath, 'type'], 'button', type));
      return;
    }
    const parsed = buttonSchemas[type].safeParse(button);
    if (!parsed.success) findings.push(...describeIssues(parsed.error.issues, buttonPath));
    if (type === 'URL') findings.push(...checkUrlButtonVariable(button as Record<string, unknown>, buttonPath));
    if (type === 'OTP' && category !== null && category !== 'AUTHENTICATION') {
      findings.push(structureError([...buttonPath, 'type'], 'OTP buttons belong only in AUTHENTICATION templates'));
    }
  });
  for (const [type, count] of counts) {
    const limit = buttonLimits[type];
    if (limit !== undefined && count > limit) findings.push(structureError(path, `at most ${limit} ${type} button${limit === 1 ? '' : 's'} per template, this one has ${count}`));
  }
  if (category === 'AUTHENTICATION' && (counts.get('OTP') !== 1 || counts.size !== 1)) {
    findings.push(structureError(path, 'an AUTHENTICATION template has exactly one button, of type OTP'));
  }
  return findings;
}

/** Meta allows one variable in a URL button, at the very end, with a full example URL. */
function checkUrlButtonVariable(button: Record<string, unknown>, path: PropertyKey[]): Finding[] {
  if (typeof button.url !== 'string') return [];
  const variables = button.url.match(/\{\{[^{}]*\}\}/g) ?? [];
  if (variables.length === 0) return [];
  const findings: Finding[] = [];
  if (variables.length > 1 || !/\{\{\s*[\w]+\s*\}\}$/.test(button.url)) {
    findings.push(structureError([...path, 'url'], 'a URL button may have one variable, and only at the end of the URL'));
  }
  if (button.example === undefined) findings.push(structureError([...path, 'example'], 'a URL button with a variable needs an example: the full URL with a sample value'));
  return findings;
}

function structureError(path: readonly PropertyKey[], message: string): Finding {
  return {
    rule: 'template-structure',
    severity: 'error',
    path: formatPath(path),
    message: `${capitalise(message)}.`,
    fix: "Correct the body to Meta's create-template format (template components reference); Meta refuses it as it is.",
  };
}

function unknownType(path: readonly PropertyKey[], what: string, type: string): Finding {
  return {
    rule: 'template-unknown-type',
    severity: 'warning',
    path: formatPath(path),
    message: `Rampart does not know the ${what} type ${JSON.stringify(maskDigitRuns(type, 40))}; its text was scanned, its structure was not checked.`,
    fix: 'Check the type against Meta\'s template components reference; if it is new, tell Rampart\'s maintainers.',
  };
}

function describeIssues(issues: readonly z.core.$ZodIssue[], base: readonly PropertyKey[]): Finding[] {
  return issues.map((issue) => structureError([...base, ...issue.path], describeIssue(issue)));
}

/** zod's messages, without its "received undefined" for a field that is simply missing. */
function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.path.length === 0 && issue.code === 'invalid_type') return 'a template body must be a JSON object';
  const field = issue.path.length > 0 ? String(issue.path[issue.path.length - 1]) : 'the template';
  if (issue.code === 'invalid_type' && issue.message.endsWith('received undefined')) return `${field} is required (${issue.expected})`;
  return `${field}: ${issue.message.charAt(0).toLowerCase()}${issue.message.slice(1)}`;
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
