import type { Secret } from '../config/secret.js';
import type { DestinationAllowlist } from './destination-allowlist.js';
import { judgeAddress } from './destination-policy.js';
import { checkEndpointUrl, isAddressLiteralHost, readConnectHost } from './endpoint-url.js';
import { describeWebhookSecretProblem, parseWebhookSecret } from './webhook-secret.js';
import { isValidEventType } from './webhook-message.js';

/** An internal service that receives forwarded events, as configured. */
export interface ForwardingEndpoint {
  /** Short and stable: it names the endpoint in logs, outcomes and outbox jobs. */
  name: string;
  url: string;
  /** The active `whsec_` secrets, 1–10; each signs every delivery (several during a rotation). */
  secrets: readonly Secret[];
  /** Event types to forward; `*` forwards all. */
  eventTypes: readonly string[];
  /** Permit `http://` (development on a trusted network); https otherwise. */
  isHttpAllowed?: boolean;
}

/** An endpoint checked once at start: parsed URL, decoded keys. */
export interface PreparedEndpoint {
  name: string;
  url: URL;
  keys: readonly Buffer[];
  eventTypes: ReadonlySet<string>;
}

export const MAX_ACTIVE_SECRETS = 10;
export const ALL_EVENT_TYPES = '*';
const endpointNamePattern = /^[a-z0-9][a-z0-9_-]{0,62}$/;

export type PreparedEndpointResult = { isValid: true; endpoint: PreparedEndpoint } | { isValid: false; problems: string[] };

/**
 * Checks everything about an endpoint that can be known before delivery: name, URL shape, an
 * address-literal host against the SSRF policy, secrets, event types. Problems are phrased
 * `field: what is wrong` and never contain a secret or the URL.
 */
export function prepareEndpoint(endpoint: ForwardingEndpoint, allowlist: DestinationAllowlist): PreparedEndpointResult {
  const problems: string[] = [];
  if (!endpointNamePattern.test(endpoint.name)) problems.push('name: must be 1–63 lower-case letters, digits, - or _');
  const checked = checkEndpointUrl(endpoint.url, { isHttpAllowed: endpoint.isHttpAllowed === true });
  if (!checked.isValid) problems.push(`url: ${checked.problem}`);
  if (checked.isValid && isAddressLiteralHost(checked.url)) {
    const host = readConnectHost(checked.url);
    const judgement = judgeAddress(host, host, allowlist);
    if (!judgement.isAllowed) problems.push(`url: ${judgement.detail}`);
  }
  if (endpoint.secrets.length === 0 || endpoint.secrets.length > MAX_ACTIVE_SECRETS) {
    problems.push(`secrets: 1–${MAX_ACTIVE_SECRETS} active secrets are required`);
  }
  endpoint.secrets.forEach((secret, index) => {
    const problem = describeWebhookSecretProblem(secret.reveal());
    if (problem !== null) problems.push(`secrets[${index}]: ${problem}`);
  });
  if (endpoint.eventTypes.length === 0) problems.push(`eventTypes: list at least one type, or ${ALL_EVENT_TYPES}`);
  for (const type of endpoint.eventTypes) {
    if (type !== ALL_EVENT_TYPES && !isValidEventType(type)) problems.push('eventTypes: each must be * or dotted words such as message.received');
  }
  if (problems.length > 0 || !checked.isValid) return { isValid: false, problems: [...new Set(problems)] };
  return {
    isValid: true,
    endpoint: {
      name: endpoint.name,
      url: checked.url,
      keys: endpoint.secrets.map(parseWebhookSecret),
      eventTypes: new Set(endpoint.eventTypes),
    },
  };
}

export function acceptsEventType(endpoint: PreparedEndpoint, type: string): boolean {
  return endpoint.eventTypes.has(ALL_EVENT_TYPES) || endpoint.eventTypes.has(type);
}
