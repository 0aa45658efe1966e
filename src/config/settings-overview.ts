/**
 * The settings page's view of the configuration: every setting with a description, grouped, with
 * whether it was set and whether its value is the built-in default. Built once when the config is
 * loaded, from the validated settings, and never holding a secret: secrets are reduced to whether
 * they are set, URLs lose their user, password, query and fragment, forwarding endpoints are shown
 * by name, origin and events only (their URLs' paths and their secrets stay out).
 */
import { secretNames, settingNames, settingsSchema } from './config-schema.js';
import type { SecretName, SettingName, Settings } from './config-schema.js';

export const settingGroups = ['Server', 'Webhooks', 'Storage', 'Encryption', 'WhatsApp Cloud API', 'Sending', 'Consent', 'Forwarding', 'Staff sessions', 'Operation'] as const;
export type SettingGroupName = (typeof settingGroups)[number];

/** How a value is shown: as given, as a URL without credentials, the KMS choice likewise, or the forwarding summary. Secrets are never shown. */
type Display = 'plain' | 'url' | 'kms' | 'forward-endpoints';

interface SettingDescription {
  readonly group: SettingGroupName;
  readonly description: string;
  readonly display?: Display;
}

/** One line per setting; a new setting without a line here fails to compile. */
export const settingDescriptions: Record<SettingName, SettingDescription> = {
  RAMPART_HOST: { group: 'Server', description: 'Address the gateway listens on.' },
  RAMPART_PORT: { group: 'Server', description: 'Port the gateway listens on.' },
  RAMPART_PUBLIC_URL: { group: 'Server', description: 'Origin staff use to reach Rampart; passkeys and cookies are bound to it (default: the listening address).', display: 'url' },
  RAMPART_TLS_CERT_FILE: { group: 'Server', description: 'PEM certificate; with the key file, Rampart serves HTTPS (TLS 1.2 minimum).' },
  RAMPART_TLS_KEY_FILE: { group: 'Server', description: 'PEM private key for the certificate.' },
  RAMPART_TRUSTED_PROXIES: { group: 'Server', description: 'Addresses or CIDR ranges whose X-Forwarded-For is believed.' },
  RAMPART_IP_ALLOWLIST: { group: 'Webhooks', description: 'CIDR ranges allowed to call the webhook (off when unset).' },
  RAMPART_RATE_LIMIT_PER_MINUTE: { group: 'Webhooks', description: 'Webhook requests per client address (IPv6: per /64) per minute.' },
  RAMPART_REDIS_URL: { group: 'Webhooks', description: 'Redis shared by several gateways for the webhook rate limit.', display: 'url' },
  RAMPART_MAX_JSON_DEPTH: { group: 'Webhooks', description: 'Deepest nesting accepted in a webhook body.' },
  RAMPART_DATA_DIR: { group: 'Storage', description: 'SQLite store, keyring and sandbox secrets (created mode 0700).' },
  RAMPART_DATABASE_URL: { group: 'Storage', description: 'postgres://… for PostgreSQL, or sqlite:<path> (default: SQLite in the data directory).', display: 'url' },
  RAMPART_WRITER_MAX_QUEUE: { group: 'Storage', description: 'Events waiting or being stored before webhooks are answered 503.' },
  RAMPART_WRITER_MAX_BATCH: { group: 'Storage', description: 'Events committed in one transaction at most.' },
  RAMPART_KMS: { group: 'Encryption', description: 'Key-encryption key provider: local (keyring file sealed by the master key), pkcs11:…, vault-transit:… or aws-kms:….', display: 'kms' },
  RAMPART_MASTER_KEY: { group: 'Encryption', description: 'Local KMS: 32 random bytes sealing the keyring; losing it loses every stored message.' },
  RAMPART_PKCS11_PIN: { group: 'Encryption', description: 'PKCS#11 KMS: the PIN that logs in to the token.' },
  RAMPART_VAULT_TOKEN: { group: 'Encryption', description: "Vault transit KMS: the token for Vault's transit engine." },
  RAMPART_VAULT_NAMESPACE: { group: 'Encryption', description: 'Vault transit KMS: the Vault namespace, when Vault uses them.' },
  RAMPART_AWS_KMS_ENDPOINT: { group: 'Encryption', description: "AWS KMS: another endpoint (a VPC endpoint); default: the key's region's.", display: 'url' },
  RAMPART_DATA_KEY_MAX_AGE_SECONDS: { group: 'Encryption', description: 'How long an unwrapped data key may stay in memory.' },
  RAMPART_DATA_KEY_MAX_USES: { group: 'Encryption', description: 'How many times an unwrapped data key may be used before it is unwrapped again.' },
  WHATSAPP_APP_SECRET: { group: 'WhatsApp Cloud API', description: "Meta app secret; keys the webhook's X-Hub-Signature-256." },
  WHATSAPP_VERIFY_TOKEN: { group: 'WhatsApp Cloud API', description: 'Token Meta echoes in the webhook handshake.' },
  WHATSAPP_ACCESS_TOKEN: { group: 'WhatsApp Cloud API', description: 'System-user token for sending; sending is off until it and the phone number id are set.' },
  WHATSAPP_PHONE_NUMBER_ID: { group: 'WhatsApp Cloud API', description: "The business number's id at Meta (not the number itself)." },
  WHATSAPP_BUSINESS_ACCOUNT_ID: { group: 'WhatsApp Cloud API', description: "Lets Rampart read templates' approval and category before sending." },
  WHATSAPP_GRAPH_URL: { group: 'WhatsApp Cloud API', description: "Meta's Graph API (the sandbox sets its emulator).", display: 'url' },
  WHATSAPP_API_VERSION: { group: 'WhatsApp Cloud API', description: 'Graph API version.' },
  RAMPART_SEND_RATE_PER_SECOND: { group: 'Sending', description: 'Messages per second per business number (0: no limit).' },
  RAMPART_SEND_PAIR_BURST: { group: 'Sending', description: 'Messages to one customer back to back before spacing them.' },
  RAMPART_SEND_PAIR_INTERVAL_MS: { group: 'Sending', description: 'Spacing of further messages to one customer.' },
  RAMPART_SEND_CONCURRENCY: { group: 'Sending', description: 'Outbox jobs in flight per process.' },
  RAMPART_SEND_MAX_ATTEMPTS: { group: 'Sending', description: 'Attempts before a retryable failure is final.' },
  RAMPART_SEND_RETRY_BASE_MS: { group: 'Sending', description: 'First retry delay ceiling; later ones double.' },
  RAMPART_OUTBOX_LEASE_SECONDS: { group: 'Sending', description: "How long a claimed job is a worker's before another may take it." },
  RAMPART_WORKERS: { group: 'Sending', description: 'Run the outbox workers in this process (false: API and webhooks only).' },
  RAMPART_MEDIA_MAX_BYTES: { group: 'Sending', description: 'Largest customer media stored.' },
  RAMPART_VERIFIED_DOMAINS: { group: 'Sending', description: 'Domains you control: links in template parameters must be https on one of them.' },
  RAMPART_OPT_OUT_KEYWORDS: { group: 'Consent', description: "Words that alone in a message withdraw marketing consent (default: STOP, ABMELDEN, BAJA, …)." },
  RAMPART_OPT_IN_KEYWORDS: { group: 'Consent', description: 'Words that alone in a message give marketing consent again (default: START, …).' },
  RAMPART_OPT_OUT_REPLY: { group: 'Consent', description: 'Confirmation sent after an opt-out keyword (off: none).' },
  RAMPART_OPT_IN_REPLY: { group: 'Consent', description: 'Confirmation sent after an opt-in keyword (off: none).' },
  RAMPART_FORWARD_ENDPOINTS: { group: 'Forwarding', description: 'Your services that receive message events, signed per Standard Webhooks (shown without paths or secrets).', display: 'forward-endpoints' },
  RAMPART_FORWARD_ALLOWED_HOSTS: { group: 'Forwarding', description: 'Internal host names and CIDR ranges forwarding may reach.' },
  RAMPART_SESSION_IDLE_MINUTES: { group: 'Staff sessions', description: 'A session ends after this long without a request.' },
  RAMPART_SESSION_MAX_HOURS: { group: 'Staff sessions', description: 'A session ends this long after sign-in, however active.' },
  RAMPART_STEP_UP_MINUTES: { group: 'Staff sessions', description: 'How recent a second factor must be for exports and key operations.' },
  RAMPART_LOG_LEVEL: { group: 'Operation', description: 'fatal … trace, or silent.' },
  RAMPART_SANDBOX: { group: 'Operation', description: 'Development mode with the Cloud API emulator; loopback hosts only.' },
  RAMPART_SANDBOX_PORT: { group: 'Operation', description: "The emulator's port in sandbox mode." },
};

export interface SettingOverview {
  readonly name: SettingName;
  /** The value in effect (the default when unset); always null for a secret. */
  readonly value: string | null;
  readonly isSecret: boolean;
  /** Given in the environment, a `_FILE`, the config file or the command line (or generated, for sandbox secrets). */
  readonly isSet: boolean;
  /** The value in effect is the built-in default (unset, or set to the default). */
  readonly isDefault: boolean;
  readonly description: string;
}

export interface SettingGroupOverview {
  readonly name: SettingGroupName;
  readonly settings: readonly SettingOverview[];
}

/** `givenNames`: the settings the operator gave (before defaults were applied). */
export function describeSettings(settings: Settings, givenNames: ReadonlySet<string>): SettingGroupOverview[] {
  const overviews = settingNames.map((name) => describeSetting(name, settings, givenNames));
  return settingGroups
    .map((group) => ({ name: group, settings: overviews.filter((overview) => settingDescriptions[overview.name].group === group) }))
    .filter((group) => group.settings.length > 0);
}

function describeSetting(name: SettingName, settings: Settings, givenNames: ReadonlySet<string>): SettingOverview {
  const { description, display = 'plain' } = settingDescriptions[name];
  const isSecret = isSecretName(name);
  const value: unknown = settings[name];
  const defaultValue = readDefault(name);
  // Sandbox secrets are generated into the settings without having been given: they are set all the same.
  const isSet = givenNames.has(name) || (isSecret && value !== undefined);
  const isDefault = defaultValue === undefined ? !isSet : value === defaultValue;
  return { name, value: isSecret ? null : renderValue(value, display), isSecret, isSet, isDefault, description };
}

function isSecretName(name: SettingName): name is SecretName {
  return (secretNames as readonly string[]).includes(name);
}

/** The schema's default (what an unset setting parses to), or undefined when it has none. */
function readDefault(name: SettingName): unknown {
  const parsed = settingsSchema.shape[name].safeParse(undefined);
  return parsed.success ? parsed.data : undefined;
}

function renderValue(value: unknown, display: Display): string | null {
  if (value === undefined || value === null) return null;
  if (display === 'url') return typeof value === 'string' ? withoutCredentials(value) : null;
  if (display === 'kms') return typeof value === 'string' ? describeKms(value) : null;
  if (display === 'forward-endpoints') return Array.isArray(value) ? summariseEndpoints(value as readonly ForwardEndpointSetting[]) : null;
  if (Array.isArray(value)) return value.join(', ');
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? String(value) : null;
}

/** Scheme, host, port and path: user and password (and a query, where PostgreSQL URLs may carry one) are left out. */
function withoutCredentials(text: string): string | null {
  if (text.startsWith('sqlite:')) return text;
  try {
    const url = new URL(text);
    return `${url.protocol}//${url.host}${url.pathname === '/' ? '' : url.pathname}`;
  } catch {
    return null;
  }
}

/** `local`, a PKCS#11 module and labels, an AWS key ARN: shown as given; a Vault address loses any credentials typed into it. */
function describeKms(text: string): string | null {
  const vault = 'vault-transit:';
  if (!text.startsWith(vault)) return text;
  const address = withoutCredentials(text.slice(vault.length));
  return address === null ? null : `${vault}${address}`;
}

interface ForwardEndpointSetting {
  readonly name: string;
  readonly url: string;
  readonly events: readonly string[];
}

/** `crm → https://crm.internal (message.received)`: paths are left out, as some services take a token there. */
function summariseEndpoints(endpoints: readonly ForwardEndpointSetting[]): string {
  return endpoints
    .map((endpoint) => {
      let origin = '(invalid URL)';
      try {
        origin = new URL(endpoint.url).origin;
      } catch {
        // Validated at load; kept defensive so the page never shows the raw text.
      }
      return `${endpoint.name} → ${origin} (${endpoint.events.join(', ')})`;
    })
    .join('; ');
}
