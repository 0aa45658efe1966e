import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { inspect } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';
import type { Config } from '../../src/config/load-config.js';
import { describeKmsWarnings } from '../../src/crypto/kms-factory.js';
import { isAppError } from '../../src/errors.js';

let directory: string;
let moduleFile: string;
beforeEach(() => {
  directory = mkdtempSync(path.join(tmpdir(), 'rampart-kms-config-'));
  // Any existing file will do: configuration only checks that the library is there.
  moduleFile = path.join(directory, 'libpkcs11-test.so');
  writeFileSync(moduleFile, '');
});
afterEach(() => {
  rmSync(directory, { recursive: true, force: true });
});

const base = { WHATSAPP_APP_SECRET: 'app-secret', WHATSAPP_VERIFY_TOKEN: 'verify-token' };
const arn = 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';

function load(env: Record<string, string>): Config {
  return loadConfig({ env: { RAMPART_DATA_DIR: directory, ...base, ...env } });
}

function problemsOf(env: Record<string, string>): string {
  try {
    load(env);
  } catch (error) {
    if (isAppError(error) && error.code === 'CONFIG_INVALID') return error.message;
    throw error;
  }
  throw new Error('the configuration was accepted');
}

describe('RAMPART_KMS', () => {
  it('defaults to local, which needs the master key', () => {
    const config = load({ RAMPART_MASTER_KEY: Buffer.alloc(32, 1).toString('base64') });
    expect(config.kms).toMatchObject({ provider: 'local', keyringPath: path.join(directory, 'keyring.json') });
    expect(problemsOf({})).toMatch(/RAMPART_MASTER_KEY: required by the local KMS/);
  });

  it('reads pkcs11:module=…;slot-label=…;key-label=… with the PIN from RAMPART_PKCS11_PIN_FILE', () => {
    const pinFile = path.join(directory, 'pin');
    writeFileSync(pinFile, '246810\n');
    const config = load({ RAMPART_KMS: `pkcs11:module=${moduleFile};slot-label=rampart;key-label=rampart-kek`, RAMPART_PKCS11_PIN_FILE: pinFile });
    expect(config.kms).toMatchObject({ provider: 'pkcs11', modulePath: moduleFile, tokenLabel: 'rampart', keyLabel: 'rampart-kek' });
    expect(config.kms.provider === 'pkcs11' && config.kms.pin.reveal()).toBe('246810');
    expect(inspect(config)).not.toContain('246810');
    expect(JSON.stringify(config)).not.toContain('246810');
  });

  it('does not need RAMPART_MASTER_KEY for another provider, and says a given one is ignored', () => {
    const kms = `pkcs11:module=${moduleFile};slot-label=rampart;key-label=rampart-kek`;
    const config = load({ RAMPART_KMS: kms, RAMPART_PKCS11_PIN: '1234', RAMPART_MASTER_KEY: 'unused' });
    expect(config.notices).toContain('RAMPART_MASTER_KEY is ignored: RAMPART_KMS selects the pkcs11 provider');
    expect(load({ RAMPART_KMS: kms, RAMPART_PKCS11_PIN: '1234' }).kms.provider).toBe('pkcs11');
  });

  it('names what is wrong with a pkcs11 value', () => {
    expect(problemsOf({ RAMPART_KMS: `pkcs11:module=${moduleFile};slot-label=rampart`, RAMPART_PKCS11_PIN: '1' })).toMatch(/each of module, slot-label and key-label once/);
    expect(problemsOf({ RAMPART_KMS: 'pkcs11:module=/nope/lib.so;slot-label=rampart;key-label=k', RAMPART_PKCS11_PIN: '1' })).toContain('the PKCS#11 library /nope/lib.so does not exist');
    expect(problemsOf({ RAMPART_KMS: `pkcs11:module=${moduleFile};slot-label=rampart;key-label=has space` , RAMPART_PKCS11_PIN: '1' })).toContain('key-label must be');
    expect(problemsOf({ RAMPART_KMS: `pkcs11:module=${moduleFile};slot-label=rampart;key-label=k` })).toMatch(/RAMPART_PKCS11_PIN: required by RAMPART_KMS=pkcs11/);
  });

  it('reads vault-transit:<address>/<mount>/<key>, nested mounts included, with the token and namespace', () => {
    const config = load({ RAMPART_KMS: 'vault-transit:https://vault.internal:8200/secrets/transit/rampart-kek', RAMPART_VAULT_TOKEN: 'hvs.secret-token', RAMPART_VAULT_NAMESPACE: 'team-a' });
    expect(config.kms).toMatchObject({ provider: 'vault-transit', address: 'https://vault.internal:8200', mountPath: 'secrets/transit', keyName: 'rampart-kek', namespace: 'team-a' });
    expect(inspect(config)).not.toContain('hvs.secret-token');
    expect(load({ RAMPART_KMS: 'vault-transit:http://127.0.0.1:8200/transit/k', RAMPART_VAULT_TOKEN: 't' }).kms.provider).toBe('vault-transit');
  });

  it('refuses plain http to a Vault elsewhere, a missing key name and a missing token', () => {
    expect(problemsOf({ RAMPART_KMS: 'vault-transit:http://vault.internal:8200/transit/k', RAMPART_VAULT_TOKEN: 't' })).toContain('must be https://');
    expect(problemsOf({ RAMPART_KMS: 'vault-transit:https://vault.internal:8200/transit', RAMPART_VAULT_TOKEN: 't' })).toContain('Vault address, transit mount, key name');
    expect(problemsOf({ RAMPART_KMS: 'vault-transit:https://vault.internal:8200/transit/k' })).toMatch(/RAMPART_VAULT_TOKEN: required/);
  });

  it('reads aws-kms:<key ARN>, taking the region from the ARN', () => {
    const config = load({ RAMPART_KMS: `aws-kms:${arn}` });
    expect(config.kms).toMatchObject({ provider: 'aws-kms', keyArn: arn, region: 'eu-west-1', endpoint: null });
    const local = load({ RAMPART_KMS: `aws-kms:${arn}`, RAMPART_AWS_KMS_ENDPOINT: 'http://127.0.0.1:4566' });
    expect(local.kms).toMatchObject({ endpoint: 'http://127.0.0.1:4566' });
  });

  it('refuses an alias instead of a key ARN, and plain http to a remote endpoint', () => {
    expect(problemsOf({ RAMPART_KMS: 'aws-kms:arn:aws:kms:eu-west-1:111122223333:alias/rampart' })).toContain('aliases are refused');
    expect(problemsOf({ RAMPART_KMS: `aws-kms:${arn}`, RAMPART_AWS_KMS_ENDPOINT: 'http://kms.internal' })).toContain('RAMPART_AWS_KMS_ENDPOINT: must be https://');
  });

  it('names every accepted form for an unknown value, without echoing it', () => {
    const message = problemsOf({ RAMPART_KMS: 'gcp-kms:projects/p/secret-looking-value' });
    for (const form of ['`local`', '`pkcs11:module=', '`vault-transit:https://', '`aws-kms:arn:aws:kms:']) expect(message).toContain(form);
    expect(message).not.toContain('secret-looking-value');
  });

  it('asks only for the secrets of the chosen provider when other settings are broken too', () => {
    const message = problemsOf({ RAMPART_KMS: `aws-kms:${arn}`, RAMPART_PORT: 'eighty' });
    expect(message).toContain('RAMPART_PORT');
    expect(message).not.toContain('RAMPART_MASTER_KEY');
    const vault = problemsOf({ RAMPART_KMS: 'vault-transit:https://vault:8200/transit/k', RAMPART_PORT: 'eighty' });
    expect(vault).toContain('RAMPART_VAULT_TOKEN: required (set RAMPART_VAULT_TOKEN or RAMPART_VAULT_TOKEN_FILE)');
    expect(vault).not.toContain('RAMPART_MASTER_KEY');
  });
});

describe('doctor warning about the KMS', () => {
  it('warns about the local provider in production only', () => {
    const production = load({ RAMPART_MASTER_KEY: 'x' });
    expect(describeKmsWarnings(production).join(' ')).toMatch(/RAMPART_KMS=local keeps the key-encryption keys in a keyring file/);
    const sandbox = loadConfig({ env: { RAMPART_DATA_DIR: directory, RAMPART_SANDBOX: 'true' } });
    expect(describeKmsWarnings(sandbox)).toEqual([]);
    expect(describeKmsWarnings(load({ RAMPART_KMS: `aws-kms:${arn}` }))).toEqual([]);
  });
});
