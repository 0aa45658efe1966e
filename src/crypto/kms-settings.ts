/**
 * RAMPART_KMS and the settings that go with each provider, parsed into one typed KmsConfig. Every
 * problem names the setting and the accepted forms, never the value given (it may hold a secret
 * pasted into the wrong variable).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Settings } from '../config/config-schema.js';
import { Secret } from '../config/secret.js';

export interface LocalKmsConfig {
  readonly provider: 'local';
  readonly masterKey: Secret;
  readonly keyringPath: string;
}

export interface Pkcs11KmsConfig {
  readonly provider: 'pkcs11';
  /** The PKCS#11 library (e.g. /usr/lib/softhsm/libsofthsm2.so). */
  readonly modulePath: string;
  /** The label of the token the KEK objects live on. */
  readonly tokenLabel: string;
  /** KEK versions are secret-key objects labelled `<keyLabel>-v<N>`; the label is also the kekId. */
  readonly keyLabel: string;
  readonly pin: Secret;
}

export interface VaultTransitKmsConfig {
  readonly provider: 'vault-transit';
  /** Scheme, host and port of the Vault server, e.g. https://vault:8200. */
  readonly address: string;
  /** Where the transit engine is mounted, e.g. `transit` (may contain slashes). */
  readonly mountPath: string;
  readonly keyName: string;
  readonly token: Secret;
  readonly namespace: string | null;
}

export interface AwsKmsConfig {
  readonly provider: 'aws-kms';
  readonly keyArn: string;
  /** From the ARN: a key is only reachable in its own region. */
  readonly region: string;
  /** Another endpoint (a VPC endpoint, or the local test server); null = the SDK's default for the region. */
  readonly endpoint: string | null;
}

export type KmsConfig = LocalKmsConfig | Pkcs11KmsConfig | VaultTransitKmsConfig | AwsKmsConfig;

export type KmsSettings = Pick<
  Settings,
  | 'RAMPART_KMS'
  | 'RAMPART_MASTER_KEY'
  | 'RAMPART_PKCS11_PIN'
  | 'RAMPART_VAULT_TOKEN'
  | 'RAMPART_VAULT_NAMESPACE'
  | 'RAMPART_AWS_KMS_ENDPOINT'
  | 'RAMPART_SANDBOX'
>;

export const ACCEPTED_KMS_FORMS =
  '`local`, `pkcs11:module=<path to the PKCS#11 library>;slot-label=<token label>;key-label=<key label>`, ' +
  '`vault-transit:https://<vault host>:8200/<transit mount>/<key name>` or ' +
  '`aws-kms:arn:aws:kms:<region>:<account>:key/<key id>`';

/** Printable ASCII without spaces: the label becomes the kekId in every envelope header. */
const KEY_LABEL = /^[A-Za-z0-9._-]{1,64}$/;
/** PKCS#11 token labels are at most 32 characters, blank padded. */
const TOKEN_LABEL = /^[\x21-\x7e](?:[\x20-\x7e]{0,30}[\x21-\x7e])?$/;
/** Vault's own name pattern for keys and mount path segments. */
const VAULT_NAME = /^\w(?:[\w.-]*\w)?$/;
const AWS_KEY_ARN = /^arn:aws(?:-[a-z]+)*:kms:([a-z]{2}(?:-[a-z]+)+-\d):(\d{12}):key\/((?:mrk-)?[0-9a-f-]{32,36})$/;

export interface ResolvedKmsSettings {
  /** null when there are problems. */
  config: KmsConfig | null;
  problems: string[];
  notices: string[];
}

export function resolveKmsSettings(settings: KmsSettings, dataDir: string): ResolvedKmsSettings {
  const problems: string[] = [];
  const notices: string[] = [];
  const value = settings.RAMPART_KMS;
  let config: KmsConfig | null = null;
  if (value === 'local') config = resolveLocal(settings, dataDir, problems);
  else if (value.startsWith('pkcs11:')) config = resolvePkcs11(value.slice('pkcs11:'.length), settings, problems);
  else if (value.startsWith('vault-transit:')) config = resolveVaultTransit(value.slice('vault-transit:'.length), settings, problems);
  else if (value.startsWith('aws-kms:')) config = resolveAwsKms(value.slice('aws-kms:'.length), settings, problems);
  else problems.push(`RAMPART_KMS: must be ${ACCEPTED_KMS_FORMS}`);
  if (config) notices.push(...findUnusedKmsSettings(config.provider, settings));
  return { config: problems.length === 0 ? config : null, problems, notices };
}

function resolveLocal(settings: KmsSettings, dataDir: string, problems: string[]): LocalKmsConfig | null {
  const masterKey = settings.RAMPART_MASTER_KEY;
  if (masterKey === undefined) {
    problems.push(
      'RAMPART_MASTER_KEY: required by the local KMS (generate one with `openssl rand -base64 32`) ' +
        '(set RAMPART_MASTER_KEY or RAMPART_MASTER_KEY_FILE)',
    );
    return null;
  }
  return { provider: 'local', masterKey: new Secret(masterKey), keyringPath: path.join(dataDir, 'keyring.json') };
}

function resolvePkcs11(parameters: string, settings: KmsSettings, problems: string[]): Pkcs11KmsConfig | null {
  const form = 'RAMPART_KMS: must look like `pkcs11:module=/usr/lib/softhsm/libsofthsm2.so;slot-label=rampart;key-label=rampart-kek`';
  const fields = parseSemicolonFields(parameters, ['module', 'slot-label', 'key-label']);
  if (fields === null) {
    problems.push(`${form} (each of module, slot-label and key-label once, separated by ;)`);
    return null;
  }
  const before = problems.length;
  const { module: modulePath = '', 'slot-label': tokenLabel = '', 'key-label': keyLabel = '' } = fields;
  if (!path.isAbsolute(modulePath)) problems.push('RAMPART_KMS: the pkcs11 module must be an absolute path to the PKCS#11 library');
  else if (!existsSync(modulePath)) problems.push(`RAMPART_KMS: the PKCS#11 library ${modulePath} does not exist`);
  if (!TOKEN_LABEL.test(tokenLabel)) problems.push('RAMPART_KMS: slot-label must be the token label, 1–32 printable characters');
  if (!KEY_LABEL.test(keyLabel)) problems.push('RAMPART_KMS: key-label must be 1–64 letters, digits, dots, dashes or underscores');
  if (settings.RAMPART_PKCS11_PIN === undefined) {
    problems.push('RAMPART_PKCS11_PIN: required by RAMPART_KMS=pkcs11:… to log in to the token (set RAMPART_PKCS11_PIN or RAMPART_PKCS11_PIN_FILE)');
  }
  if (problems.length > before || settings.RAMPART_PKCS11_PIN === undefined) return null;
  return { provider: 'pkcs11', modulePath, tokenLabel, keyLabel, pin: new Secret(settings.RAMPART_PKCS11_PIN) };
}

/** `name=value;name=value` with exactly the expected names, each once; null when it is not that. */
function parseSemicolonFields(text: string, names: readonly string[]): Record<string, string> | null {
  const fields: Record<string, string> = {};
  for (const part of text.split(';')) {
    const separator = part.indexOf('=');
    const name = separator > 0 ? part.slice(0, separator).trim() : '';
    if (!names.includes(name) || name in fields) return null;
    fields[name] = part.slice(separator + 1).trim();
  }
  return names.every((name) => name in fields) ? fields : null;
}

function resolveVaultTransit(urlText: string, settings: KmsSettings, problems: string[]): VaultTransitKmsConfig | null {
  const form = 'RAMPART_KMS: must look like `vault-transit:https://vault.internal:8200/transit/rampart-kek` (Vault address, transit mount, key name)';
  const url = URL.canParse(urlText) ? new URL(urlText) : null;
  const segments = url ? url.pathname.split('/').filter((segment) => segment.length > 0) : [];
  if (!url || url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '' || segments.length < 2) {
    problems.push(form);
    return null;
  }
  const before = problems.length;
  if (!isSafeTransport(url)) {
    problems.push('RAMPART_KMS: the Vault address must be https:// unless Vault runs on this machine (the token and keys travel with each call)');
  }
  if (!segments.every((segment) => VAULT_NAME.test(segment))) problems.push(`${form}; the mount and key name are letters, digits, dots, dashes and underscores`);
  const kekId = [settings.RAMPART_VAULT_NAMESPACE, ...segments].filter((part) => part !== undefined).join('/');
  // The kekId travels in every envelope header, where identifiers are at most 255 characters.
  if (kekId.length > 255) problems.push('RAMPART_KMS: namespace, mount and key name together must be at most 255 characters');
  if (settings.RAMPART_VAULT_TOKEN === undefined) {
    problems.push('RAMPART_VAULT_TOKEN: required by RAMPART_KMS=vault-transit:… (set RAMPART_VAULT_TOKEN or RAMPART_VAULT_TOKEN_FILE)');
  }
  if (problems.length > before || settings.RAMPART_VAULT_TOKEN === undefined) return null;
  return {
    provider: 'vault-transit',
    address: url.origin,
    mountPath: segments.slice(0, -1).join('/'),
    keyName: segments.at(-1) ?? '',
    token: new Secret(settings.RAMPART_VAULT_TOKEN),
    namespace: settings.RAMPART_VAULT_NAMESPACE ?? null,
  };
}

function resolveAwsKms(keyArn: string, settings: KmsSettings, problems: string[]): AwsKmsConfig | null {
  const match = AWS_KEY_ARN.exec(keyArn);
  if (!match) {
    problems.push(
      'RAMPART_KMS: must look like `aws-kms:arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab` ' +
        '(a key ARN; aliases are refused because they can be moved to another key)',
    );
    return null;
  }
  const endpoint = settings.RAMPART_AWS_KMS_ENDPOINT ?? null;
  if (endpoint !== null && !isSafeTransport(new URL(endpoint))) {
    problems.push('RAMPART_AWS_KMS_ENDPOINT: must be https:// unless it is on this machine (data keys travel with each call)');
    return null;
  }
  return { provider: 'aws-kms', keyArn, region: match[1] ?? '', endpoint };
}

/** The secrets RAMPART_KMS will need, for reporting them missing before the rest of the settings parse. */
export function requiredKmsSecretNames(kms: string | undefined): ('RAMPART_MASTER_KEY' | 'RAMPART_PKCS11_PIN' | 'RAMPART_VAULT_TOKEN')[] {
  if (kms === undefined || kms === 'local') return ['RAMPART_MASTER_KEY'];
  if (kms.startsWith('pkcs11:')) return ['RAMPART_PKCS11_PIN'];
  if (kms.startsWith('vault-transit:')) return ['RAMPART_VAULT_TOKEN'];
  return [];
}

/** Plain http only where nothing leaves the machine. */
function isSafeTransport(url: URL): boolean {
  if (url.protocol === 'https:') return true;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return url.protocol === 'http:' && (host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host));
}

const settingsByProvider: Record<KmsConfig['provider'], readonly (keyof KmsSettings)[]> = {
  local: ['RAMPART_MASTER_KEY'],
  pkcs11: ['RAMPART_PKCS11_PIN'],
  'vault-transit': ['RAMPART_VAULT_TOKEN', 'RAMPART_VAULT_NAMESPACE'],
  'aws-kms': ['RAMPART_AWS_KMS_ENDPOINT'],
};

/** A setting for another provider is ignored; saying so catches a RAMPART_KMS that was not switched. */
function findUnusedKmsSettings(provider: KmsConfig['provider'], settings: KmsSettings): string[] {
  const notices: string[] = [];
  for (const [other, names] of Object.entries(settingsByProvider)) {
    if (other === provider) continue;
    for (const name of names) {
      // Sandbox mode fills in a master key whatever the provider; that one is not the operator's doing.
      const isSandboxMasterKey = name === 'RAMPART_MASTER_KEY' && settings.RAMPART_SANDBOX;
      if (settings[name] !== undefined && !isSandboxMasterKey) {
        notices.push(`${name} is ignored: RAMPART_KMS selects the ${provider} provider`);
      }
    }
  }
  return notices;
}
