/**
 * What the template linter reports. A finding names a stable rule id (for suppression lists and
 * dashboards), a severity (errors block creation and sending), where in the JSON it is, what is
 * wrong (never quoting a sensitive value in full) and what to do instead.
 */

export type Severity = 'error' | 'warning';

export const ruleIds = [
  'template-structure',
  'template-unknown-type',
  'card-number',
  'iban',
  'aadhaar',
  'indian-pan',
  'us-ssn',
  'credential',
  'secret-wording',
  'code-like-value',
  'health-term',
  'email-address',
  'phone-number',
  'url-invalid',
  'url-not-https',
  'url-without-scheme',
  'url-ambiguous',
  'url-userinfo',
  'url-ip-literal',
  'url-shortener',
  'url-port',
  'url-unverified-domain',
  'url-variable-host',
] as const;

export type RuleId = (typeof ruleIds)[number];

export interface Finding {
  rule: RuleId;
  severity: Severity;
  /** JSON path into the linted value, e.g. `components[1].text`. */
  path: string;
  message: string;
  fix: string;
}

/** What a detector or analyser reports before it knows where its text came from. */
export type Problem = Omit<Finding, 'path'>;

export interface FindingCounts {
  errors: number;
  warnings: number;
}

export function countFindings(findings: readonly Finding[]): FindingCounts {
  let errors = 0;
  for (const finding of findings) if (finding.severity === 'error') errors += 1;
  return { errors, warnings: findings.length - errors };
}

export function hasBlockingFindings(findings: readonly Finding[]): boolean {
  return findings.some((finding) => finding.severity === 'error');
}

/**
 * One message a caller can show when errors block a send or a creation, e.g. in an AppError.
 * Null when nothing blocks. Findings never hold a full sensitive value, so neither does this.
 */
export function describeBlockingFindings(findings: readonly Finding[]): string | null {
  const errors = findings.filter((finding) => finding.severity === 'error');
  if (errors.length === 0) return null;
  const lines = errors.map((finding) => `${finding.path}: ${finding.message} Fix: ${finding.fix}`);
  return `The template linter refused this (${errors.length} ${errors.length === 1 ? 'error' : 'errors'}): ${lines.join(' | ')}`;
}

/** `components[1].buttons[0].url` from `['components', 1, 'buttons', 0, 'url']`. */
export function formatPath(segments: readonly PropertyKey[]): string {
  let path = '';
  for (const segment of segments) {
    if (typeof segment === 'number') path += `[${segment}]`;
    else if (typeof segment === 'string' && /^[A-Za-z_$][\w$]*$/.test(segment)) path += path === '' ? segment : `.${segment}`;
    else path += `[${JSON.stringify(String(segment))}]`;
  }
  return path === '' ? '$' : path;
}

/** Drops exact repeats (the same rule, place and words), keeping the first occurrence's order. */
export function removeDuplicateFindings(findings: readonly Finding[]): Finding[] {
  const seen = new Set<string>();
  return findings.filter((finding) => {
    const key = `${finding.rule}\u0000${finding.path}\u0000${finding.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
