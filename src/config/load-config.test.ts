import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { inspect } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isAppError } from '../errors.js';
import { loadConfig, loadDatabaseConfig } from './load-config.js';
import type { LoadConfigOptions } from './load-config.js';

let directory: string;
beforeEach(() => {
  directory = mkdtempSync(path.join(tmpdir(), 'rampart-config-'));
});
afterEach(() => {
  rmSync(directory, { recursive: true, force: true });
});

function canary(label: string): string {
  return `canary-${label}-${randomBytes(8).toString('hex')}`;
}

function requiredSecrets(): Record<string, string> {
  return { WHATSAPP_APP_SECRET: canary('app'), WHATSAPP_VERIFY_TOKEN: canary('verify'), RAMPART_MASTER_KEY: canary('master') };
}

function withoutSecret(name: string): Record<string, string> {
  return Object.fromEntries(Object.entries(requiredSecrets()).filter(([key]) => key !== name));
}

function writeFile(name: string, content: string): string {
  const file = path.join(directory, name);
  writeFileSync(file, content);
  return file;
}

/** The CONFIG_INVALID message loadConfig throws (fails the test if it does not throw one). */
function configProblem(options: LoadConfigOptions): string {
  try {
    loadConfig(options);
  } catch (error) {
    if (isAppError(error) && error.code === 'CONFIG_INVALID') return error.message;
    throw error;
  }
  throw new Error('the configuration was accepted');
}

describe('loadConfig', () => {
  it('lists every problem at once: bad values and missing secrets together', () => {
    const message = configProblem({
      env: { RAMPART_DATA_DIR: directory, RAMPART_PORT: 'eighty', RAMPART_LOG_LEVEL: 'loud', RAMPART_DATABASE_URL: 'mysql://db/x' },
    });
    for (const name of ['RAMPART_PORT', 'RAMPART_LOG_LEVEL', 'RAMPART_DATABASE_URL', 'WHATSAPP_APP_SECRET', 'WHATSAPP_VERIFY_TOKEN', 'RAMPART_MASTER_KEY']) {
      expect(message).toContain(name);
    }
    expect(message).toContain('6 problem(s)');
  });

  it('outside sandbox mode refuses to start without WHATSAPP_APP_SECRET', () => {
    const others = withoutSecret('WHATSAPP_APP_SECRET');
    const message = configProblem({ env: { RAMPART_DATA_DIR: directory, ...others } });
    expect(message).toMatch(/WHATSAPP_APP_SECRET: required/);
    expect(message).toContain('1 problem(s)');
  });

  it('reads secrets from *_FILE and strips the trailing newline', () => {
    const secrets = requiredSecrets();
    const config = loadConfig({
      env: {
        RAMPART_DATA_DIR: directory,
        WHATSAPP_APP_SECRET_FILE: writeFile('app-secret', `${secrets.WHATSAPP_APP_SECRET}\n`),
        WHATSAPP_VERIFY_TOKEN_FILE: writeFile('verify-token', `${secrets.WHATSAPP_VERIFY_TOKEN}\r\n`),
        RAMPART_MASTER_KEY: secrets.RAMPART_MASTER_KEY!,
      },
    });
    expect(config.whatsapp.appSecret.reveal()).toBe(secrets.WHATSAPP_APP_SECRET);
    expect(config.whatsapp.verifyToken.reveal()).toBe(secrets.WHATSAPP_VERIFY_TOKEN);
  });

  it('refuses a secret given both directly and as *_FILE', () => {
    const secrets = requiredSecrets();
    const message = configProblem({
      env: { RAMPART_DATA_DIR: directory, ...secrets, WHATSAPP_APP_SECRET_FILE: writeFile('app-secret', 'other') },
    });
    expect(message).toMatch(/WHATSAPP_APP_SECRET: set both WHATSAPP_APP_SECRET and WHATSAPP_APP_SECRET_FILE/);
  });

  it('refuses an unreadable *_FILE, naming its path', () => {
    const others = withoutSecret('WHATSAPP_VERIFY_TOKEN');
    const missing = path.join(directory, 'no-such-token');
    const message = configProblem({ env: { RAMPART_DATA_DIR: directory, ...others, WHATSAPP_VERIFY_TOKEN_FILE: missing } });
    expect(message).toContain(`WHATSAPP_VERIFY_TOKEN_FILE: ${missing}`);
  });

  it('never quotes a secret or a credential-bearing URL in its error message', () => {
    const secrets = requiredSecrets();
    const password = canary('password');
    const message = configProblem({
      env: {
        RAMPART_DATA_DIR: directory,
        ...secrets,
        WHATSAPP_ACCESS_TOKEN: secrets.WHATSAPP_APP_SECRET!,
        RAMPART_MASTER_KEY_FILE: writeFile('master', canary('file')),
        RAMPART_DATABASE_URL: `mysql://user:${password}@db/x`,
        RAMPART_REDIS_URL: `http://user:${password}@cache`,
        RAMPART_PORT: 'eighty',
      },
    });
    expect(message).toContain('RAMPART_REDIS_URL');
    for (const secret of [...Object.values(secrets), password, 'canary-file']) expect(message).not.toContain(secret);
  });

  it('keeps secrets out of JSON.stringify and util.inspect of the config', () => {
    const secrets = requiredSecrets();
    const password = canary('password');
    const accessToken = canary('access');
    const config = loadConfig({
      env: {
        RAMPART_DATA_DIR: directory,
        ...secrets,
        WHATSAPP_ACCESS_TOKEN: accessToken,
        RAMPART_DATABASE_URL: `postgres://rampart:${password}@db.internal/rampart`,
        RAMPART_REDIS_URL: `redis://:${password}@cache.internal:6379`,
      },
    });
    const renderings = [JSON.stringify(config), inspect(config, { depth: Infinity, showHidden: true }), String(config.whatsapp.appSecret)];
    for (const rendering of renderings) {
      for (const secret of [...Object.values(secrets), password, accessToken]) expect(rendering).not.toContain(secret);
    }
  });

  it('in sandbox mode generates missing secrets into <dataDir>/sandbox-secrets.json (0600) and reuses them', () => {
    const given = canary('given');
    const env = { RAMPART_DATA_DIR: directory, RAMPART_SANDBOX: 'true', WHATSAPP_APP_SECRET: given };
    const first = loadConfig({ env });
    const file = path.join(directory, 'sandbox-secrets.json');
    expect(first.generatedSecretsPath).toBe(file);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(first.whatsapp.appSecret.reveal()).toBe(given);
    // A secret the operator gave is used, never copied to disk.
    expect(readFileSync(file, 'utf8')).not.toContain(given);
    expect(first.notices.join('\n')).toContain(file);

    const second = loadConfig({ env });
    expect(second.whatsapp.verifyToken.reveal()).toBe(first.whatsapp.verifyToken.reveal());
    if (first.kms.provider !== 'local' || second.kms.provider !== 'local') throw new Error('the sandbox uses the local KMS');
    expect(second.kms.masterKey.reveal()).toBe(first.kms.masterKey.reveal());
    expect(Buffer.from(second.kms.masterKey.reveal(), 'base64')).toHaveLength(32);
  });

  it('in sandbox mode tightens a sandbox secrets file that others can read back to 0600', () => {
    const env = { RAMPART_DATA_DIR: directory, RAMPART_SANDBOX: '1' };
    loadConfig({ env });
    const file = path.join(directory, 'sandbox-secrets.json');
    chmodSync(file, 0o644);
    loadConfig({ env });
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('reads the config file, lets the environment win over it, and refuses unknown keys in it', () => {
    const configFile = writeFile(
      'rampart.json',
      JSON.stringify({ RAMPART_PORT: 9443, RAMPART_HOST: '0.0.0.0', RAMPART_IP_ALLOWLIST: ['10.0.0.0/8', '::1'], RAMPART_SANDBOX: false }),
    );
    const config = loadConfig({ env: { RAMPART_CONFIG_FILE: configFile, RAMPART_DATA_DIR: directory, RAMPART_HOST: '127.0.0.2', ...requiredSecrets() } });
    expect(config.http.port).toBe(9443);
    expect(config.http.ipAllowlist).toEqual(['10.0.0.0/8', '::1']);
    expect(config.http.host).toBe('127.0.0.2');
    expect(config.notices).toEqual([]);

    const withUnknown = writeFile('unknown.json', JSON.stringify({ RAMPART_PORT: 9443, RAMPART_PROT: 9444 }));
    const message = configProblem({ env: { RAMPART_CONFIG_FILE: withUnknown, RAMPART_DATA_DIR: directory, ...requiredSecrets() } });
    expect(message).toContain('unknown setting RAMPART_PROT');
  });

  it('notes unknown RAMPART_* variables by name, but not test or config-file variables', () => {
    const config = loadConfig({
      env: { RAMPART_DATA_DIR: directory, RAMPART_PROT: '9000', RAMPART_TEST_REDIS_URL: 'redis://x', ...requiredSecrets() },
    });
    expect(config.notices).toEqual(['unknown setting RAMPART_PROT is ignored']);
  });

  // Fastify trusts these through proxy-addr, which reads "010.0.0.1" as octal 8.0.0.1: a typo would let
  // 8.0.0.1 forge X-Forwarded-For past the allowlist. A bad entry must fail at config time, by name.
  it('refuses trusted-proxy entries that are not standard addresses or ranges, naming them', () => {
    const message = configProblem({
      env: { RAMPART_DATA_DIR: directory, RAMPART_TRUSTED_PROXIES: '10.0.0.1,010.0.0.2,not-an-ip', ...requiredSecrets() },
    });
    expect(message).toContain('RAMPART_TRUSTED_PROXIES');
    expect(message).toContain('010.0.0.2');
    expect(message).toContain('not-an-ip');
  });

  it('returns a deeply frozen config', () => {
    const config = loadConfig({ env: { RAMPART_DATA_DIR: directory, RAMPART_TRUSTED_PROXIES: '10.0.0.1', ...requiredSecrets() } });
    for (const part of [config, config.http, config.http.trustedProxies, config.writer, config.kms, config.whatsapp, config.notices, config.database]) {
      expect(Object.isFrozen(part)).toBe(true);
    }
    expect(Reflect.set(config.http, 'port', 1)).toBe(false);
    expect(() => (config.http.trustedProxies as string[]).push('0.0.0.0/0')).toThrow(TypeError);
    expect(config.http.trustedProxies).toEqual(['10.0.0.1']);
  });
});

describe('loadDatabaseConfig', () => {
  it('needs no secrets', () => {
    expect(loadDatabaseConfig({ env: { RAMPART_DATA_DIR: directory } })).toEqual({ kind: 'sqlite', path: path.join(directory, 'rampart.sqlite') });
  });

  it('reads postgres:// and postgresql:// as PostgreSQL, keeping the URL secret', () => {
    const password = canary('password');
    for (const scheme of ['postgres', 'postgresql']) {
      const url = `${scheme}://rampart:${password}@db.internal:5432/rampart`;
      const database = loadDatabaseConfig({ env: { RAMPART_DATABASE_URL: url } });
      expect(database.kind).toBe('postgres');
      expect(database.kind === 'postgres' && database.url.reveal()).toBe(url);
      expect(JSON.stringify(database)).not.toContain(password);
    }
  });

  it('reads sqlite:<path> as SQLite at that path, relative or absolute', () => {
    const absolute = path.join(directory, 'store.db');
    expect(loadDatabaseConfig({ env: { RAMPART_DATABASE_URL: `sqlite:${absolute}` } })).toEqual({ kind: 'sqlite', path: absolute });
    expect(loadDatabaseConfig({ env: { RAMPART_DATABASE_URL: `sqlite://${absolute}` } })).toEqual({ kind: 'sqlite', path: absolute });
    expect(loadDatabaseConfig({ env: { RAMPART_DATABASE_URL: 'sqlite:relative.db' } })).toEqual({
      kind: 'sqlite',
      path: path.resolve('relative.db'),
    });
  });

  it('refuses a database URL of another kind', () => {
    expect(() => loadDatabaseConfig({ env: { RAMPART_DATABASE_URL: 'mysql://db/x' } })).toThrow(/RAMPART_DATABASE_URL/);
  });
});

describe('Graph API URL', () => {
  const base = { WHATSAPP_APP_SECRET: 'app-secret', WHATSAPP_VERIFY_TOKEN: 'verify-token', RAMPART_MASTER_KEY: Buffer.alloc(32, 7).toString('base64') };
  it.each(['http://127.0.0.1:8081', 'http://localhost:8081', 'http://[::1]:8081'])('accepts plain http to this machine: %s', (url) => {
    expect(loadConfig({ env: { ...base, WHATSAPP_GRAPH_URL: url } }).whatsapp.graphUrl).toBe(url);
  });
  it.each(['http://graph.facebook.com', 'http://10.0.0.5:8081', 'http://127.0.0.1.nip.io'])('refuses plain http elsewhere: %s', (url) => {
    expect(() => loadConfig({ env: { ...base, WHATSAPP_GRAPH_URL: url } })).toThrow(/WHATSAPP_GRAPH_URL: must be https/);
  });
});

describe('verified domains', () => {
  const base = { WHATSAPP_APP_SECRET: 'app-secret', WHATSAPP_VERIFY_TOKEN: 'verify-token', RAMPART_MASTER_KEY: Buffer.alloc(32, 7).toString('base64') };
  it('takes a comma-separated list of domain names', () => {
    expect(loadConfig({ env: { ...base, RAMPART_VERIFIED_DOMAINS: 'shop.example, help.shop.example' } }).outbound.verifiedDomains).toEqual(['shop.example', 'help.shop.example']);
  });
  it.each(['https://shop.example', '10.0.0.1', 'shop.example/pay'])('refuses what is not a domain name: %s', (entry) => {
    expect(() => loadConfig({ env: { ...base, RAMPART_VERIFIED_DOMAINS: entry } })).toThrow(/RAMPART_VERIFIED_DOMAINS: not a domain name/);
  });
});
