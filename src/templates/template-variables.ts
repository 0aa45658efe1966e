import { formatPath } from './finding.js';
import type { Finding } from './finding.js';
import { readType } from './template-schema.js';

/**
 * Variables in HEADER and BODY text against the template's parameter_format and its examples:
 * positional templates number them {{1}}…{{n}} without gaps, named ones use {{lower_case}} names,
 * and Meta refuses a template whose variables have no example values.
 */

type ParameterFormat = 'POSITIONAL' | 'NAMED';

const placeholder = /\{\{\s*([^{}]*?)\s*\}\}/g;

export function checkTemplateVariables(body: Record<string, unknown> | null): Finding[] {
  if (body === null || typeof body !== 'object' || !Array.isArray(body.components)) return [];
  const format: ParameterFormat = typeof body.parameter_format === 'string' && body.parameter_format.toUpperCase() === 'NAMED' ? 'NAMED' : 'POSITIONAL';
  return body.components.flatMap((component: unknown, index: number) => {
    const type = readType(component);
    const text = (component as { text?: unknown } | null)?.text;
    if ((type !== 'HEADER' && type !== 'BODY') || typeof text !== 'string') return [];
    return checkComponentVariables(component as Record<string, unknown>, type, text, format, ['components', index]);
  });
}

function checkComponentVariables(component: Record<string, unknown>, type: 'HEADER' | 'BODY', text: string, format: ParameterFormat, path: PropertyKey[]): Finding[] {
  const names = [...text.matchAll(placeholder)].map((match) => match[1]!);
  if (names.length === 0) return [];
  const textPath = [...path, 'text'];
  if (type === 'HEADER' && names.length > 1) return [variableError(textPath, 'a header may have one variable')];
  const nameProblem = format === 'NAMED' ? checkNamedVariables(names) : checkPositionalVariables(names);
  if (nameProblem) return [variableError(textPath, nameProblem)];
  return checkExamples(component.example, type, format, names, [...path, 'example']);
}

function checkPositionalVariables(names: readonly string[]): string | null {
  if (!names.every((name) => /^\d+$/.test(name))) return 'variables of a POSITIONAL template are {{1}}, {{2}}, …; set parameter_format to NAMED to use {{names}}';
  const numbers = [...new Set(names.map(Number))].sort((a, b) => a - b);
  return numbers.every((number, index) => number === index + 1) ? null : 'positional variables must be numbered {{1}} to {{n}} without gaps';
}

function checkNamedVariables(names: readonly string[]): string | null {
  return names.every((name) => /^[a-z][a-z0-9_]*$/.test(name)) ? null : 'named variables are lower-case letters, digits and _, starting with a letter, e.g. {{order_number}}';
}

function checkExamples(example: unknown, type: 'HEADER' | 'BODY', format: ParameterFormat, names: readonly string[], path: PropertyKey[]): Finding[] {
  const distinct = [...new Set(names)];
  const key = `${type === 'HEADER' ? 'header_text' : 'body_text'}${format === 'NAMED' ? '_named_params' : ''}`;
  const values = (example as Record<string, unknown> | undefined)?.[key];
  if (values === undefined) return [variableError([...path, key], `the text has variables, so Meta needs example.${key} with a sample value for each`)];
  if (format === 'NAMED') {
    const given = Array.isArray(values) ? values.map((entry) => (entry as { param_name?: unknown } | null)?.param_name) : [];
    const missing = distinct.filter((name) => !given.includes(name));
    return missing.length === 0 ? [] : [variableError([...path, key], `no example for ${missing.map((name) => `{{${name}}}`).join(', ')}`)];
  }
  const samples = type === 'BODY' && Array.isArray(values) ? values[0] : values;
  const count = Array.isArray(samples) ? samples.length : 0;
  return count === distinct.length ? [] : [variableError([...path, key], `${distinct.length} variable${distinct.length === 1 ? '' : 's'} but ${count} example value${count === 1 ? '' : 's'}`)];
}

function variableError(path: readonly PropertyKey[], message: string): Finding {
  return {
    rule: 'template-structure',
    severity: 'error',
    path: formatPath(path),
    message: `${message.charAt(0).toUpperCase()}${message.slice(1)}.`,
    fix: 'Give every variable a sample value in the example field (made-up values, never a real customer\'s data).',
  };
}
