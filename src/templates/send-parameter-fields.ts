import type { TemplateField } from './template-fields.js';

/**
 * Every string a send-time template message fills in, from the Cloud API's
 * `template.components` (each `{ type, sub_type?, index?, parameters: [...] }`), with its path.
 * Media links are fetched by Meta, never shown as links, so they are not judged as links here
 * (the send schema already requires https); captions and file names are scanned like text.
 */

const notContent = new Set(['type', 'sub_type', 'index', 'id', 'link', 'code', 'amount_1000', 'parameter_name', 'flow_token', 'policy', 'name']);

const maximumDepth = 16;

export function collectSendParameterFields(components: unknown): TemplateField[] {
  const fields: TemplateField[] = [];
  walk(components, ['components'], 0, fields);
  return fields;
}

function walk(value: unknown, path: PropertyKey[], depth: number, fields: TemplateField[]): void {
  if (typeof value === 'string') {
    fields.push({ path, text: value, role: 'parameter' });
    return;
  }
  if (value === null || typeof value !== 'object' || depth >= maximumDepth) return;
  if (Array.isArray(value)) {
    value.forEach((item, index) => walk(item, [...path, index], depth + 1, fields));
    return;
  }
  for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
    if (!notContent.has(key)) walk(child, [...path, key], depth + 1, fields);
  }
}
