import type { z } from 'zod';
import { invalidParameter } from './graph-errors.js';
import type { GraphError } from './graph-errors.js';

/**
 * Parses a Graph request body; on failure returns Meta's code 100 with details naming the
 * parameter the way Meta does (`interactive['action']['buttons'][0]['reply']['title']`).
 */
export function parseGraphBody<T extends z.ZodType>(schema: T, body: unknown): { ok: true; data: z.output<T> } | { ok: false; error: GraphError } {
  const result = schema.safeParse(body, { reportInput: true });
  if (result.success) return { ok: true, data: result.data };
  const issue = result.error.issues[0];
  return { ok: false, error: invalidParameter(issue ? describeIssue(issue) : 'Parameter value is not valid.') };
}

export function formatParameterPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return 'body';
  const [first, ...rest] = path;
  return `${String(first)}${rest.map((key) => (typeof key === 'number' ? `[${key}]` : `['${String(key)}']`)).join('')}`;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const name = formatParameterPath(issue.path);
  // With reportInput, an issue without input is a missing parameter, whatever the expected shape.
  if (!('input' in issue) || issue.input === undefined) {
    if (issue.code === 'invalid_type' || issue.code === 'invalid_value' || issue.code === 'invalid_union') return `The parameter ${name} is required.`;
  }
  switch (issue.code) {
    case 'invalid_type':
      return `Param ${name} must be a ${issue.expected}.`;
    case 'invalid_value':
      return `Param ${name} must be one of {${issue.values.map(String).join(', ')}}.`;
    case 'too_big':
      return issue.origin === 'string'
        ? `Param ${name} must be at most ${String(issue.maximum)} characters long.`
        : `Param ${name} must have at most ${String(issue.maximum)} ${issue.origin === 'array' ? 'items' : ''}`.trimEnd() + '.';
    case 'too_small':
      if (issue.origin === 'string') return Number(issue.minimum) <= 1 ? `Param ${name} must not be empty.` : `Param ${name} must be at least ${String(issue.minimum)} characters long.`;
      return `Param ${name} must be at least ${String(issue.minimum)}${issue.origin === 'array' ? ' items' : ''}.`;
    case 'invalid_format':
      return issue.format === 'url' ? `Param ${name} must be a valid https URL.` : `Param ${name} has an invalid format.`;
    case 'custom': {
      const detail: unknown = issue.params?.['detail'];
      return typeof detail === 'string' ? detail : `Param ${name} is not valid.`;
    }
    default:
      return `Param ${name} is not valid.`;
  }
}
