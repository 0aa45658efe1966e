import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { Secret } from '../config/secret.js';
import { parseDestinationAllowlist } from './destination-allowlist.js';
import { ALLOWED_HOSTS_SETTING } from './destination-policy.js';
import { checkEndpointUrl } from './endpoint-url.js';
import { ALL_EVENT_TYPES, MAX_ACTIVE_SECRETS, prepareEndpoint } from './forwarding-endpoint.js';
import type { ForwardingEndpoint } from './forwarding-endpoint.js';
import { isValidEventType } from './webhook-message.js';
import { describeWebhookSecretProblem } from './webhook-secret.js';

export const ENDPOINTS_SETTING = 'RAMPART_FORWARD_ENDPOINTS';
export const MAX_ENDPOINTS = 50;

/** One entry of RAMPART_FORWARD_ENDPOINTS. Unknown keys are refused, so a typo is not silently ignored. */
const endpointEntrySchema = z
  .strictObject({
    name: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, { message: 'must be 1–63 lower-case letters, digits, - or _' }),
    url: z.string(),
    allowHttp: z.boolean().default(false),
    secret: z.string().optional(),
    secretFile: z.string().min(1).optional(),
    events: z
      .array(z.string().refine((type) => type === ALL_EVENT_TYPES || isValidEventType(type), { message: 'must be * or dotted words such as message.received' }))
      .min(1)
      .default([ALL_EVENT_TYPES]),
  })
  .superRefine((entry, ctx) => {
    const url = checkEndpointUrl(entry.url, { isHttpAllowed: entry.allowHttp });
    if (!url.isValid) ctx.addIssue({ code: 'custom', path: ['url'], message: url.problem });
    if ((entry.secret === undefined) === (entry.secretFile === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['secret'], message: 'give exactly one of secret or secretFile' });
    }
    const secretProblem = entry.secret === undefined ? null : describeWebhookSecretProblem(entry.secret);
    if (secretProblem !== null) ctx.addIssue({ code: 'custom', path: ['secret'], message: secretProblem });
  });

export type ForwardingEndpointEntry = z.output<typeof endpointEntrySchema>;

const endpointListSchema = z
  .array(endpointEntrySchema)
  .max(MAX_ENDPOINTS)
  .superRefine((entries, ctx) => {
    const seen = new Set<string>();
    entries.forEach((entry, index) => {
      if (seen.has(entry.name)) ctx.addIssue({ code: 'custom', path: [index, 'name'], message: 'is used by an earlier endpoint' });
      seen.add(entry.name);
    });
  });

const endpointsSetting = z
  .string()
  .transform((text, ctx): unknown => {
    try {
      return JSON.parse(text);
    } catch {
      // JSON.parse's message quotes the text around the error, which may be a secret.
      ctx.issues.push({ code: 'custom', message: 'must be a JSON list of endpoints (it is not valid JSON)', input: undefined });
      return z.NEVER;
    }
  })
  .pipe(endpointListSchema);

const list = z.string().transform((value) => value.split(',').map((item) => item.trim()).filter((item) => item.length > 0));

/**
 * The forwarding settings, for the config schema:
 * - RAMPART_FORWARD_ENDPOINTS: JSON list of `{ name, url, secret | secretFile, events?, allowHttp? }`
 * - RAMPART_FORWARD_ALLOWED_HOSTS: comma list of host names, addresses and CIDR ranges that may be internal
 */
export const forwardingSettingsSchema = z.object({
  RAMPART_FORWARD_ENDPOINTS: endpointsSetting.optional(),
  RAMPART_FORWARD_ALLOWED_HOSTS: list.optional(),
});

export type ForwardingSettings = z.output<typeof forwardingSettingsSchema>;

export interface ForwardingConfig {
  readonly endpoints: readonly ForwardingEndpoint[];
  readonly allowedDestinations: readonly string[];
}

export interface ResolveForwardingOptions {
  /** Reads a secret file; tests replace it. */
  readTextFile?: (path: string) => string;
}

/**
 * Turns parsed settings into endpoints: reads secret files, checks what needs both settings (an
 * address-literal URL against the allowlist). Problems name the setting, endpoint and field, and
 * the file and line of a bad secret, never a secret.
 */
export function resolveForwardingSettings(
  settings: ForwardingSettings,
  options: ResolveForwardingOptions = {},
): { config: ForwardingConfig; problems: string[] } {
  const readTextFile = options.readTextFile ?? ((path: string) => readFileSync(path, 'utf8'));
  const problems: string[] = [];
  const allowedDestinations = settings.RAMPART_FORWARD_ALLOWED_HOSTS ?? [];
  const { allowlist, invalidEntries } = parseDestinationAllowlist(allowedDestinations);
  if (invalidEntries.length > 0) {
    problems.push(`${ALLOWED_HOSTS_SETTING}: not a host name, IP address or CIDR range: ${invalidEntries.join(', ')}`);
  }
  const endpoints: ForwardingEndpoint[] = [];
  for (const entry of settings.RAMPART_FORWARD_ENDPOINTS ?? []) {
    const where = `${ENDPOINTS_SETTING}[${entry.name}]`;
    const secrets = entry.secret !== undefined ? [new Secret(entry.secret)] : readSecretFile(entry.secretFile ?? '', `${where}.secretFile`, readTextFile, problems);
    if (secrets === null) continue;
    const endpoint: ForwardingEndpoint = { name: entry.name, url: entry.url, secrets, eventTypes: entry.events, isHttpAllowed: entry.allowHttp };
    const prepared = prepareEndpoint(endpoint, allowlist);
    if (!prepared.isValid) problems.push(...prepared.problems.map((problem) => `${where}.${problem}`));
    else endpoints.push(endpoint);
  }
  return { config: { endpoints, allowedDestinations }, problems };
}

/** One `whsec_` secret per line; blank lines and `#` comments are skipped. Null when unusable. */
function readSecretFile(file: string, where: string, readTextFile: (path: string) => string, problems: string[]): Secret[] | null {
  let text: string;
  try {
    text = readTextFile(file);
  } catch {
    problems.push(`${where}: ${file} cannot be read`);
    return null;
  }
  const secrets: Secret[] = [];
  const lineProblems: string[] = [];
  text.split(/\r?\n/).forEach((rawLine, index) => {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#')) return;
    const problem = describeWebhookSecretProblem(line);
    if (problem === null) secrets.push(new Secret(line));
    else lineProblems.push(`${where}: line ${index + 1} of ${file} ${problem}`);
  });
  problems.push(...lineProblems);
  if (lineProblems.length > 0) return null;
  if (secrets.length === 0 || secrets.length > MAX_ACTIVE_SECRETS) {
    problems.push(`${where}: ${file} must hold 1–${MAX_ACTIVE_SECRETS} whsec_ secrets, one per line (it holds ${secrets.length})`);
    return null;
  }
  return secrets;
}
