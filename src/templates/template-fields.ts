import type { TextRole } from './text-scanner.js';

/**
 * Every string in a create-template body that a customer (or Meta's reviewers) will read, with
 * its JSON path and what it is. The walk is structural where it knows the structure (a button's
 * url, an example) and treats any other string as template text, so fields Meta adds later are
 * still scanned. Identifiers that are not content (types, names, app signatures, media handles)
 * are skipped.
 */

export interface TemplateField {
  path: PropertyKey[];
  text: string;
  role: TextRole;
}

const notContent = new Set([
  'type', 'format', 'name', 'language', 'category', 'parameter_format', 'sub_category', 'header_handle', 'param_name',
  'otp_type', 'package_name', 'signature_hash', 'flow_id', 'flow_name', 'flow_action', 'navigate_screen', 'id',
  // The business's own number, which a PHONE_NUMBER button exists to carry.
  'phone_number',
]);

interface WalkState {
  role: TextRole;
  buttonType: string | null;
  depth: number;
}

// Deeper than any real template; a hostile file cannot exhaust the stack.
const maximumDepth = 32;

export function collectTemplateFields(body: unknown): TemplateField[] {
  const fields: TemplateField[] = [];
  walk(body, [], { role: 'template-text', buttonType: null, depth: 0 }, fields);
  return fields;
}

function walk(value: unknown, path: PropertyKey[], state: WalkState, fields: TemplateField[]): void {
  if (typeof value === 'string') {
    fields.push({ path, text: value, role: state.role });
    return;
  }
  if (value === null || typeof value !== 'object' || state.depth >= maximumDepth) return;
  if (Array.isArray(value)) {
    value.forEach((item, index) => walk(item, [...path, index], { ...state, depth: state.depth + 1 }, fields));
    return;
  }
  const record = value as Record<string, unknown>;
  const buttonType = path.at(-2) === 'buttons' && typeof record.type === 'string' ? record.type.toUpperCase() : state.buttonType;
  for (const [key, child] of Object.entries(record)) {
    if (notContent.has(key)) continue;
    walk(child, [...path, key], { role: roleOf(key, state.role, buttonType), buttonType, depth: state.depth + 1 }, fields);
  }
}

function roleOf(key: string, inherited: TextRole, buttonType: string | null): TextRole {
  if (buttonType === 'URL' && key === 'url') return 'url';
  if (key === 'example' || key.endsWith('_named_params') || key === 'body_text' || key === 'header_text') return buttonType === 'URL' ? 'url-example' : 'example';
  return inherited;
}
