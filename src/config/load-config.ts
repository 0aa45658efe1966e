import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { AppError } from '../errors.js';
import { findInvalidAddressEntries } from './address-entries.js';
import { settingNames, settingsSchema } from './config-schema.js';
import type { SecretName, SettingName, Settings } from './config-schema.js';
import { resolveForwardingSettings } from '../forwarding/forwarding-settings.js';
import type { ForwardingConfig } from '../forwarding/forwarding-settings.js';
import { resolveIdentitySettings } from '../identity/identity-settings.js';
import type { IdentityConfig } from '../identity/identity-settings.js';
import { requiredKmsSecretNames, resolveKmsSettings } from '../crypto/kms-settings.js';
import type { KmsConfig } from '../crypto/kms-settings.js';
import { findVerifiedDomainProblem } from '../templates/url-policy.js';
import { Secret } from './secret.js';
import { describeSettings } from './settings-overview.js';
import type { SettingGroupOverview } from './settings-overview.js';

/** Meta's maximum webhook payload. */
export const WEBHOOK_BODY_LIMIT_BYTES = 3 * 1024 * 1024;

export type DatabaseConfig = { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: Secret };

export interface Config {
  readonly isSandbox: boolean;
  readonly dataDir: string;
  readonly database: DatabaseConfig;
  readonly logLevel: Settings['RAMPART_LOG_LEVEL'];
  readonly http: {
    readonly host: string;
    readonly port: number;
    readonly tls: { readonly certFile: string; readonly keyFile: string } | null;
    readonly trustedProxies: readonly string[];
    readonly ipAllowlist: readonly string[] | null;
    readonly rateLimitPerMinute: number;
    readonly redisUrl: Secret | null;
    readonly maxJsonDepth: number;
    readonly bodyLimitBytes: number;
  };
  readonly writer: { readonly maxQueue: number; readonly maxBatch: number };
  readonly outbound: {
    /** Per business number; 0 = no limit (benchmarks against the emulator only). */
    readonly messagesPerSecond: number;
    readonly pairBurst: number;
    readonly pairIntervalMs: number;
    readonly concurrency: number;
    readonly maxAttempts: number;
    /** First retry delay ceiling; later ones double (full jitter). */
    readonly retryBaseMs: number;
    /** How long a claimed job is a worker's before another may take it. */
    readonly leaseMs: number;
    /** Run the outbox worker in this process (off: an API-and-webhook-only gateway). */
    readonly runsWorkers: boolean;
    /** Links in template parameters must be https on these domains (or their subdomains). */
    readonly verifiedDomains: readonly string[];
  };
  readonly sandbox: { readonly port: number };
  readonly media: { readonly maxBytes: number };
  /** Internal services that receive inbound messages and statuses (Standard Webhooks). */
  readonly forwarding: ForwardingConfig;
  readonly consent: {
    readonly optOutKeywords: readonly string[] | null;
    readonly optInKeywords: readonly string[] | null;
    /** Confirmations sent after a keyword; "off" sends none. */
    readonly optOutReply: string | null;
    readonly optInReply: string | null;
  };
  /** Sessions, cookies and the dashboard's public address. */
  readonly identity: IdentityConfig;
  /** The KMS provider and its settings (RAMPART_KMS); build it with createKmsProvider (src/crypto/kms-factory.ts). */
  readonly kms: KmsConfig;
  readonly dataKeyCache: { readonly maxAgeMs: number; readonly maxUses: number };
  readonly whatsapp: {
    readonly appSecret: Secret;
    readonly verifyToken: Secret;
    readonly accessToken: Secret | null;
    readonly phoneNumberId: string | null;
    readonly businessAccountId: string | null;
    readonly graphUrl: string;
    readonly apiVersion: string;
  };
  /** Where sandbox mode keeps the secrets it generated, when it did. */
  readonly generatedSecretsPath: string | null;
  /** Things worth a log line at start (unknown variables, generated secrets); never values. */
  readonly notices: readonly string[];
  /** Every setting for the settings page, described, secrets reduced to whether they are set (settings-overview.ts). */
  readonly settingsOverview: readonly SettingGroupOverview[];
}

export interface LoadConfigOptions {
  env?: NodeJS.ProcessEnv;
  /** Settings given on the command line; they win over everything else. */
  overrides?: Partial<Record<SettingName, string>>;
}

type RawSettings = Partial<Record<SettingName, string>>;

/** Names that share the RAMPART_ prefix but are not settings (tests, the config file pointer). */
const nonSettingPrefixes = ['RAMPART_TEST_', 'RAMPART_CONFIG_FILE'];

/**
 * Reads settings from the config file, then the environment, then `*_FILE` secret files, then
 * overrides; validates all of them at once and returns a frozen Config. Throws one
 * AppError('CONFIG_INVALID') listing every problem by name (never a value).
 */
export function loadConfig(options: LoadConfigOptions = {}): Config {
  const { settings, notices, problems, raw } = collectSettings(options);
  if (!settings) {
    // Report missing secrets in the same breath as the other problems.
    const isSandbox = raw.RAMPART_SANDBOX === 'true' || raw.RAMPART_SANDBOX === '1';
    const required = [...requiredSecretNames, ...requiredKmsSecretNames(raw.RAMPART_KMS)];
    const missing = isSandbox ? [] : required.filter((name) => raw[name] === undefined);
    throw configError([...problems, ...missing.map((name) => `${name}: required (set ${name} or ${name}_FILE)`)]);
  }
  let generatedSecretsPath: string | null = null;
  if (settings.RAMPART_SANDBOX) {
    generatedSecretsPath = fillSandboxSecrets(settings, problems);
    if (generatedSecretsPath) notices.push(`sandbox secrets are kept in ${generatedSecretsPath} (mode 0600)`);
  }
  const config = buildConfig(settings, generatedSecretsPath, notices, problems);
  if (problems.length > 0 || !config) throw configError(problems);
  return deepFreeze({ ...config, settingsOverview: describeSettings(settings, new Set(Object.keys(raw))) });
}

/** Just the database settings, for commands such as `rampart migrate` that need no secrets. */
export function loadDatabaseConfig(options: LoadConfigOptions = {}): DatabaseConfig {
  const { settings, problems } = collectSettings(options);
  if (!settings) throw configError(problems);
  return resolveDatabase(settings);
}

/** Just the identity settings, for commands such as `rampart users add` that need no secrets. */
export function loadIdentityConfig(options: LoadConfigOptions = {}): IdentityConfig {
  const { settings, problems } = collectSettings(options);
  if (!settings) throw configError(problems);
  const identity = resolveIdentitySettings(settings);
  if (identity.problems.length > 0) throw configError(identity.problems);
  return deepFreeze(identity.config);
}

/** The KMS adds its own (requiredKmsSecretNames). */
const requiredSecretNames = ['WHATSAPP_APP_SECRET', 'WHATSAPP_VERIFY_TOKEN'] as const;

interface CollectedSettings {
  settings: Settings | null;
  raw: RawSettings;
  problems: string[];
  notices: string[];
}

function collectSettings(options: LoadConfigOptions): CollectedSettings {
  const env = options.env ?? process.env;
  const problems: string[] = [];
  const notices: string[] = [];
  const raw: RawSettings = { ...readConfigFile(env, problems) };

  for (const name of settingNames) {
    const fromEnv = env[name];
    const fileName = env[`${name}_FILE`];
    if (fromEnv !== undefined && fileName !== undefined) {
      problems.push(`${name}: set both ${name} and ${name}_FILE; keep one`);
      continue;
    }
    if (fromEnv !== undefined && fromEnv !== '') raw[name] = fromEnv;
    if (fileName !== undefined) {
      const value = readSecretFile(name, fileName, problems);
      if (value !== undefined) raw[name] = value;
    }
  }
  for (const name of Object.keys(env)) {
    const isKnown = settingNames.some((setting) => name === setting || name === `${setting}_FILE`);
    const isExempt = nonSettingPrefixes.some((prefix) => name.startsWith(prefix));
    if (name.startsWith('RAMPART_') && !isKnown && !isExempt) notices.push(`unknown setting ${name} is ignored`);
  }
  Object.assign(raw, options.overrides);

  const parsed = settingsSchema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) problems.push(`${issue.path.join('.')}: ${issue.message}`);
  }
  const settings = parsed.success && problems.length === 0 ? parsed.data : null;
  return { settings, raw, problems, notices };
}

function buildConfig(
  settings: Settings,
  generatedSecretsPath: string | null,
  notices: string[],
  problems: string[],
): Omit<Config, 'settingsOverview'> | null {
  const required = (name: SecretName, why: string): Secret | null => {
    const value = settings[name];
    if (value === undefined) {
      problems.push(`${name}: required ${why} (set ${name} or ${name}_FILE)`);
      return null;
    }
    return new Secret(value);
  };
  const appSecret = required('WHATSAPP_APP_SECRET', 'to verify X-Hub-Signature-256 on every webhook');
  const verifyToken = required('WHATSAPP_VERIFY_TOKEN', 'to answer the webhook handshake');
  const domainProblem = findVerifiedDomainProblem(settings.RAMPART_VERIFIED_DOMAINS ?? []);
  if (domainProblem) problems.push(`RAMPART_VERIFIED_DOMAINS: ${domainProblem}`);
  const hasCert = settings.RAMPART_TLS_CERT_FILE !== undefined;
  const hasKey = settings.RAMPART_TLS_KEY_FILE !== undefined;
  if (hasCert !== hasKey) problems.push('RAMPART_TLS_CERT_FILE and RAMPART_TLS_KEY_FILE: set both or neither');
  for (const file of [settings.RAMPART_TLS_CERT_FILE, settings.RAMPART_TLS_KEY_FILE]) {
    if (file !== undefined && !existsSync(file)) problems.push(`TLS file ${file} does not exist`);
  }
  for (const name of ['RAMPART_TRUSTED_PROXIES', 'RAMPART_IP_ALLOWLIST'] as const) {
    const invalid = findInvalidAddressEntries(settings[name] ?? []);
    if (invalid.length > 0) problems.push(`${name}: not an IP address or CIDR range: ${invalid.join(', ')}`);
  }
  if (settings.RAMPART_SANDBOX && !isLoopbackHost(settings.RAMPART_HOST)) {
    problems.push('RAMPART_SANDBOX: sandbox mode keeps generated secrets beside the data; it only listens on a loopback host (127.0.0.1, ::1, localhost)');
  }
  if (!settings.RAMPART_SANDBOX && !settings.WHATSAPP_GRAPH_URL.startsWith('https://') && !isLoopbackHost(new URL(settings.WHATSAPP_GRAPH_URL).hostname.replace(/^\[|\]$/g, ''))) {
    // Plain http only where the token never leaves the machine (a local egress proxy, the emulator).
    problems.push('WHATSAPP_GRAPH_URL: must be https:// unless it is on this machine (it carries the access token)');
  }
  const database = resolveDatabase(settings);
  const forwarding = resolveForwardingSettings(settings);
  problems.push(...forwarding.problems);
  const identity = resolveIdentitySettings(settings);
  problems.push(...identity.problems);
  const dataDir = path.resolve(settings.RAMPART_DATA_DIR);
  const kms = resolveKmsSettings(settings, dataDir);
  problems.push(...kms.problems);
  notices.push(...kms.notices);
  if (!appSecret || !verifyToken || !kms.config || problems.length > 0) return null;

  return {
    isSandbox: settings.RAMPART_SANDBOX,
    dataDir,
    database,
    logLevel: settings.RAMPART_LOG_LEVEL,
    http: {
      host: settings.RAMPART_HOST,
      port: settings.RAMPART_PORT,
      tls: hasCert && hasKey ? { certFile: settings.RAMPART_TLS_CERT_FILE!, keyFile: settings.RAMPART_TLS_KEY_FILE! } : null,
      trustedProxies: settings.RAMPART_TRUSTED_PROXIES ?? [],
      ipAllowlist: settings.RAMPART_IP_ALLOWLIST ?? null,
      rateLimitPerMinute: settings.RAMPART_RATE_LIMIT_PER_MINUTE,
      redisUrl: settings.RAMPART_REDIS_URL ? new Secret(settings.RAMPART_REDIS_URL) : null,
      maxJsonDepth: settings.RAMPART_MAX_JSON_DEPTH,
      bodyLimitBytes: WEBHOOK_BODY_LIMIT_BYTES,
    },
    writer: { maxQueue: settings.RAMPART_WRITER_MAX_QUEUE, maxBatch: settings.RAMPART_WRITER_MAX_BATCH },
    outbound: {
      messagesPerSecond: settings.RAMPART_SEND_RATE_PER_SECOND,
      pairBurst: settings.RAMPART_SEND_PAIR_BURST,
      pairIntervalMs: settings.RAMPART_SEND_PAIR_INTERVAL_MS,
      concurrency: settings.RAMPART_SEND_CONCURRENCY,
      maxAttempts: settings.RAMPART_SEND_MAX_ATTEMPTS,
      retryBaseMs: settings.RAMPART_SEND_RETRY_BASE_MS,
      leaseMs: settings.RAMPART_OUTBOX_LEASE_SECONDS * 1000,
      runsWorkers: settings.RAMPART_WORKERS,
      verifiedDomains: settings.RAMPART_VERIFIED_DOMAINS ?? [],
    },
    sandbox: { port: settings.RAMPART_SANDBOX_PORT },
    media: { maxBytes: settings.RAMPART_MEDIA_MAX_BYTES },
    forwarding: forwarding.config,
    consent: {
      optOutKeywords: settings.RAMPART_OPT_OUT_KEYWORDS ?? null,
      optInKeywords: settings.RAMPART_OPT_IN_KEYWORDS ?? null,
      optOutReply: settings.RAMPART_OPT_OUT_REPLY === 'off' ? null : settings.RAMPART_OPT_OUT_REPLY,
      optInReply: settings.RAMPART_OPT_IN_REPLY === 'off' ? null : settings.RAMPART_OPT_IN_REPLY,
    },
    identity: identity.config,
    kms: kms.config,
    dataKeyCache: {
      maxAgeMs: settings.RAMPART_DATA_KEY_MAX_AGE_SECONDS * 1000,
      maxUses: settings.RAMPART_DATA_KEY_MAX_USES,
    },
    whatsapp: {
      appSecret,
      verifyToken,
      accessToken: settings.WHATSAPP_ACCESS_TOKEN ? new Secret(settings.WHATSAPP_ACCESS_TOKEN) : null,
      phoneNumberId: settings.WHATSAPP_PHONE_NUMBER_ID ?? null,
      businessAccountId: settings.WHATSAPP_BUSINESS_ACCOUNT_ID ?? null,
      graphUrl: settings.WHATSAPP_GRAPH_URL,
      apiVersion: settings.WHATSAPP_API_VERSION,
    },
    generatedSecretsPath,
    notices,
  };
}

function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

function resolveDatabase(settings: Settings): DatabaseConfig {
  const url = settings.RAMPART_DATABASE_URL;
  if (url === undefined) return { kind: 'sqlite', path: path.resolve(settings.RAMPART_DATA_DIR, 'rampart.sqlite') };
  if (url.startsWith('sqlite:')) return { kind: 'sqlite', path: path.resolve(url.slice('sqlite:'.length).replace(/^\/\//, '')) };
  return { kind: 'postgres', url: new Secret(url) };
}

function readConfigFile(env: NodeJS.ProcessEnv, problems: string[]): RawSettings {
  const file = env.RAMPART_CONFIG_FILE;
  if (file === undefined || file === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    const reason = error instanceof SyntaxError ? 'is not valid JSON' : 'cannot be read';
    problems.push(`RAMPART_CONFIG_FILE: ${file} ${reason}`);
    return {};
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    problems.push(`RAMPART_CONFIG_FILE: ${file} must hold a JSON object of settings`);
    return {};
  }
  const raw: RawSettings = {};
  for (const [name, value] of Object.entries(parsed)) {
    if (!(settingNames as string[]).includes(name)) {
      problems.push(`RAMPART_CONFIG_FILE: unknown setting ${name}`);
    } else if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
      raw[name as SettingName] = String(value);
    } else if (Array.isArray(value) && value.every((item) => typeof item === 'string')) {
      raw[name as SettingName] = value.join(',');
    } else if (Array.isArray(value) && value.every((item) => typeof item === 'object' && item !== null)) {
      // Structured settings (RAMPART_FORWARD_ENDPOINTS) are JSON in the environment too.
      raw[name as SettingName] = JSON.stringify(value);
    } else {
      problems.push(`RAMPART_CONFIG_FILE: ${name} must be a string, number, boolean, list of strings or list of objects`);
    }
  }
  return raw;
}

function readSecretFile(name: string, file: string, problems: string[]): string | undefined {
  try {
    // Trailing newlines come from `echo` and editors; they are never part of a secret.
    const value = readFileSync(file, 'utf8').replace(/[\r\n]+$/, '');
    if (value === '') problems.push(`${name}_FILE: ${file} is empty`);
    return value === '' ? undefined : value;
  } catch {
    problems.push(`${name}_FILE: ${file} cannot be read`);
    return undefined;
  }
}

const sandboxSecretNames = ['RAMPART_MASTER_KEY', 'WHATSAPP_APP_SECRET', 'WHATSAPP_VERIFY_TOKEN', 'WHATSAPP_ACCESS_TOKEN'] as const;

/**
 * Sandbox mode only: secrets that were not given are generated once and kept in the data dir,
 * readable by the owner alone, so restarts keep decrypting what was stored before.
 */
function fillSandboxSecrets(settings: Settings, problems: string[]): string | null {
  const missing = sandboxSecretNames.filter((name) => settings[name] === undefined);
  if (missing.length === 0) return null;
  const dataDir = path.resolve(settings.RAMPART_DATA_DIR);
  const file = path.join(dataDir, 'sandbox-secrets.json');
  let stored: Partial<Record<SecretName, string>> = {};
  if (existsSync(file)) {
    try {
      stored = JSON.parse(readFileSync(file, 'utf8')) as Partial<Record<SecretName, string>>;
    } catch {
      problems.push(`sandbox secrets file ${file} is not valid JSON; move it away to generate new secrets`);
      return null;
    }
    if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
  }
  let isChanged = false;
  for (const name of missing) {
    if (stored[name] === undefined) {
      stored[name] = name === 'RAMPART_MASTER_KEY' ? randomBytes(32).toString('base64') : randomBytes(24).toString('hex');
      isChanged = true;
    }
    settings[name] = stored[name];
  }
  if (isChanged) {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    writeFileSync(file, `${JSON.stringify(stored, null, 2)}\n`, { mode: 0o600 });
  }
  return file;
}

function configError(problems: string[]): AppError {
  const lines = problems.map((problem) => `  - ${problem}`).join('\n');
  return new AppError('CONFIG_INVALID', `Rampart cannot start; the configuration has ${problems.length} problem(s):\n${lines}`);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !(value instanceof Secret) && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

