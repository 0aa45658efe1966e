import type { CountryCode } from 'libphonenumber-js';
import { findAadhaarNumbers } from './aadhaar-detector.js';
import { findCardNumbers } from './card-number-detector.js';
import { findEmailAddresses, findPhoneNumbers } from './contact-detector.js';
import { createDisjointSpans } from './detected-span.js';
import type { DetectedSpan } from './detected-span.js';
import type { Problem, RuleId } from './finding.js';
import { findHealthTerms } from './health-terms.js';
import { findIbans } from './iban-detector.js';
import { findIndianPans } from './indian-pan-detector.js';
import { findCredentials, findSecretWording, isPasswordLikeValue } from './secret-detector.js';
import type { TemplateCategory } from './template-schema.js';
import { normaliseForScanning } from './text-normalisation.js';
import { analyseTemplateUrl, analyseUrl } from './url-analyser.js';
import { findUrls } from './url-finder.js';
import type { UrlPolicy } from './url-policy.js';
import { findUsSocialSecurityNumbers } from './us-ssn-detector.js';

/**
 * Every content rule applied to one string, told what the string is (fixed template text, an
 * example, a send-time parameter, a button URL) and which category its template has.
 */

export type TextRole = 'template-text' | 'example' | 'parameter' | 'url' | 'url-example';

export interface ScanContext {
  role: TextRole;
  /** Null when the category is missing or unknown: then the strictest rules apply. */
  category: TemplateCategory | null;
  policy: UrlPolicy;
  defaultCountry?: CountryCode;
}

const tokenFix = 'use a token instead: a short reference code, or a link to a page on your verified domain where the customer signs in to see the value';

/** Identifiers, in the order they claim their spans: a later detector ignores what an earlier one found. */
const identifierDetectors: readonly { rule: RuleId; find: (text: string) => DetectedSpan[]; fix: string }[] = [
  { rule: 'credential', find: findCredentials, fix: 'Remove it and revoke it: a credential that went into a message must be treated as leaked.' },
  { rule: 'iban', find: findIbans, fix: `Show at most the last four characters, or ${tokenFix}.` },
  { rule: 'card-number', find: findCardNumbers, fix: `Never send card numbers over WhatsApp (PCI DSS): show at most the last four digits, or ${tokenFix}, e.g. a link to a verified payment page.` },
  { rule: 'aadhaar', find: findAadhaarNumbers, fix: `Send only the masked form UIDAI allows (XXXX XXXX and the last four digits), or ${tokenFix}.` },
  { rule: 'us-ssn', find: findUsSocialSecurityNumbers, fix: `Never send a social security number: show at most the last four digits, or ${tokenFix}.` },
  { rule: 'indian-pan', find: findIndianPans, fix: `Show at most the last four characters, or ${tokenFix}.` },
];

const subjects: Readonly<Record<TextRole, string>> = {
  'template-text': 'The template text',
  example: 'An example value',
  parameter: 'A parameter value',
  url: 'The button URL',
  'url-example': 'The example URL',
};

export function scanText(raw: string, context: ScanContext): Problem[] {
  const text = normaliseForScanning(raw);
  const urls = scanUrls(raw, text, context);
  const identifiers = scanIdentifiers(text, context);
  const contacts = scanContacts(text, context, [identifiers.spans, urls.spans], urls.userinfoSpans);
  return [...urls.problems, ...identifiers.problems, ...contacts, ...scanWording(text, context), ...scanValueShape(text, context)];
}

function scanUrls(raw: string, text: string, context: ScanContext): { problems: Problem[]; spans: DetectedSpan[]; userinfoSpans: DetectedSpan[] } {
  if (context.role === 'url' || context.role === 'url-example') {
    // A button URL is what Meta stores byte for byte: judge it as written, not as normalised.
    const url = { text: raw, hasScheme: /^[a-z][a-z0-9+.-]*:/i.test(raw) };
    const problems = context.role === 'url' ? analyseTemplateUrl(url, context.policy) : analyseUrl(url, context.policy);
    const whole = { start: 0, end: text.length, description: 'a link' };
    return { problems, spans: [whole], userinfoSpans: problems.some((problem) => problem.rule === 'url-userinfo') ? [whole] : [] };
  }
  const problems: Problem[] = [];
  const spans: DetectedSpan[] = [];
  const userinfoSpans: DetectedSpan[] = [];
  for (const url of findUrls(text)) {
    const found = context.role === 'template-text' ? analyseTemplateUrl(url, context.policy) : analyseUrl(url, context.policy);
    problems.push(...found);
    const span = { start: url.start, end: url.end, description: 'a link' };
    spans.push(span);
    if (found.some((problem) => problem.rule === 'url-userinfo')) userinfoSpans.push(span);
  }
  return { problems, spans, userinfoSpans };
}

function scanIdentifiers(text: string, context: ScanContext): { problems: Problem[]; spans: DetectedSpan[] } {
  const problems: Problem[] = [];
  const claimed: DetectedSpan[] = [];
  const taken = createDisjointSpans();
  for (const detector of identifierDetectors) {
    for (const span of detector.find(text)) {
      if (!taken.add(span)) continue;
      claimed.push(span);
      problems.push({ rule: detector.rule, severity: 'error', message: `${subjects[context.role]} contains ${span.description}.`, fix: detector.fix });
    }
  }
  return { problems, spans: claimed };
}

/** `claimedGroups`: spans already explained (identifiers, links), each group disjoint in itself. */
function scanContacts(text: string, context: ScanContext, claimedGroups: readonly (readonly DetectedSpan[])[], userinfoSpans: readonly DetectedSpan[]): Problem[] {
  const problems: Problem[] = [];
  // An address-shaped "user@host" inside a link's authority is the link's problem, already reported.
  const inUserinfo = createDisjointSpans(userinfoSpans);
  const emails = findEmailAddresses(text).filter((span) => !inUserinfo.overlaps(span));
  for (const span of emails) {
    problems.push({
      rule: 'email-address',
      severity: 'warning',
      message: `${subjects[context.role]} contains ${span.description}.`,
      fix: `Keep personal addresses out of messages: ${tokenFix}; for the business's own address, link to a contact page on a verified domain.`,
    });
  }
  const claimed = [...claimedGroups, emails].map((group) => createDisjointSpans(group));
  const phones = findPhoneNumbers(text, context.defaultCountry).filter((span) => !claimed.some((group) => group.overlaps(span)));
  for (const span of phones) {
    problems.push({
      rule: 'phone-number',
      severity: 'warning',
      message: `${subjects[context.role]} contains ${span.description}.`,
      fix: `Put the business's own number in a PHONE_NUMBER button; never write a customer's number into a message: ${tokenFix}.`,
    });
  }
  return problems;
}

function scanWording(text: string, context: ScanContext): Problem[] {
  const problems: Problem[] = [];
  const quotesWording = context.role === 'template-text';
  const secret = context.category === 'AUTHENTICATION' ? null : findSecretWording(text);
  if (secret) {
    problems.push({
      rule: 'secret-wording',
      severity: 'error',
      message: `${subjects[context.role]} gives a ${secret.kind} ("${secret.term}") in ${describeCategory(context.category)}.`,
      fix: 'Send one-time codes only with an AUTHENTICATION template (Meta writes its text and protects the code); never send a password: send a link to a reset page on a verified domain.',
    });
  }
  const health = context.category === 'UTILITY' ? undefined : findHealthTerms(text)[0];
  if (health) {
    // A customer's parameter naming a condition is itself health data: name the term only in the business's own text.
    const term = quotesWording ? ` ("${health.term}")` : '';
    problems.push({
      rule: 'health-term',
      severity: 'error',
      message: `${subjects[context.role]} mentions a health term${term} in ${describeCategory(context.category)}.`,
      fix: "Say nothing about a person's health outside UTILITY templates about their own care (appointments, orders they placed); reword, or use a UTILITY template.",
    });
  }
  return problems;
}

function scanValueShape(text: string, context: ScanContext): Problem[] {
  if ((context.role !== 'example' && context.role !== 'parameter') || context.category === 'AUTHENTICATION' || !isPasswordLikeValue(text)) return [];
  return [
    {
      rule: 'code-like-value',
      severity: 'warning',
      message: `${subjects[context.role]} looks like a password or secret code, in ${describeCategory(context.category)}.`,
      fix: 'If it is a password or a one-time code, do not send it: use an AUTHENTICATION template for codes, a reset link for passwords. If it is an ordinary id, ignore this warning.',
    },
  ];
}

function describeCategory(category: TemplateCategory | null): string {
  return category === null ? 'a template of unknown category' : `a ${category} template`;
}
