/**
 * A stand-in for HashiCorp Vault's Transit engine, speaking its documented HTTP API closely enough for
 * the calls Rampart makes: read/create/rotate keys, encrypt, decrypt and rewrap, with real AES-256-GCM
 * under versioned keys, derived keys (HKDF-SHA256 over the `context`, as Vault's derivation),
 * `associated_data` on encrypt/decrypt (not on rewrap, as in Vault), the X-Vault-Token check, an
 * optional X-Vault-Namespace, and Vault's error shape `{ "errors": [...] }`.
 * Key versions follow Vault's rules (its Transit API docs and builtin/logical/transit): `keys/<name>/config`
 * sets min_decryption_version / min_encryption_version with Vault's checks and error texts, older versions
 * then fail to decrypt or rewrap ("… disallowed by policy (too old)") and drop out of the key's `keys`
 * map; `keys/<name>/trim` deletes versions below min_available_version for good; rotate, config and trim
 * answer with the key's description, as current Vault does (older Vault answered 204).
 * It is not Vault: Rampart's Vault provider has run only against this.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

interface TransitKey {
  type: 'aes256-gcm96';
  derived: boolean;
  exportable: boolean;
  versions: Map<number, { key: Buffer; createdAt: number }>;
  latestVersion: number;
  minDecryptionVersion: number;
  /** 0: any version up to the latest may be asked for. */
  minEncryptionVersion: number;
  /** Versions below it were trimmed: their key material is gone. */
  minAvailableVersion: number;
  allowPlaintextBackup: boolean;
}

export interface RecordedVaultRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}

export interface VaultTransitServer {
  /** http://127.0.0.1:<port> */
  readonly address: string;
  readonly token: string;
  readonly mount: string;
  /** `vault write -f <mount>/keys/<name> derived=…`. */
  createKey(name: string, options?: { derived?: boolean; exportable?: boolean }): void;
  /** `vault write -f <mount>/keys/<name>/rotate`; returns the new latest version. */
  rotateKey(name: string): number;
  setMinDecryptionVersion(name: string, version: number): void;
  /** The versions whose key material the stand-in still holds (trim deletes it). */
  storedVersions(name: string): number[];
  /** `vault token revoke`: the token stops working. */
  revokeToken(): void;
  readonly requests: RecordedVaultRequest[];
  close(): Promise<void>;
}

class VaultError extends Error {
  constructor(
    readonly status: number,
    readonly errors: string[],
  ) {
    super(errors.join('; '));
  }
}

export async function startVaultTransitServer(options: { token?: string; mount?: string; namespace?: string } = {}): Promise<VaultTransitServer> {
  const token = options.token ?? `hvs.${randomBytes(18).toString('base64url')}`;
  let isTokenRevoked = false;
  const mount = options.mount ?? 'transit';
  const keys = new Map<string, TransitKey>();
  const requests: RecordedVaultRequest[] = [];

  function createKey(name: string, keyOptions: { derived?: boolean; exportable?: boolean } = {}): TransitKey {
    const key: TransitKey = {
      type: 'aes256-gcm96',
      derived: keyOptions.derived ?? false,
      exportable: keyOptions.exportable ?? false,
      versions: new Map([[1, { key: randomBytes(32), createdAt: Math.floor(Date.now() / 1000) }]]),
      latestVersion: 1,
      minDecryptionVersion: 1,
      minEncryptionVersion: 0,
      minAvailableVersion: 0,
      allowPlaintextBackup: false,
    };
    keys.set(name, key);
    return key;
  }

  function rotateKey(name: string): number {
    const key = keys.get(name);
    if (!key) throw new Error(`no key ${name}`);
    key.latestVersion += 1;
    key.versions.set(key.latestVersion, { key: randomBytes(32), createdAt: Math.floor(Date.now() / 1000) });
    return key.latestVersion;
  }

  function handle(method: string, path: string, body: Record<string, unknown>): unknown {
    const match = new RegExp(`^/v1/${mount}/(keys|encrypt|decrypt|rewrap)/([\\w.-]+)(?:/(rotate|config|trim))?$`).exec(path);
    if (!match) throw new VaultError(404, [`no handler for route "${path.slice(4)}". route entry not found.`]);
    const [, operation, name = '', keyOperation] = match;
    const key = keys.get(name);
    if (operation === 'keys' && keyOperation) {
      if (method !== 'POST') throw new VaultError(405, ['unsupported operation']);
      return handleKeyOperation(keyOperation, name, key, body);
    }
    if (operation === 'keys' && method === 'GET') {
      if (!key) throw new VaultError(404, []);
      return describeKey(name, key);
    }
    if (operation === 'keys' && method === 'POST') {
      if (!key) createKey(name, { derived: body.derived === true });
      return null;
    }
    if (method !== 'POST') throw new VaultError(405, ['unsupported operation']);
    if (operation === 'encrypt') {
      // Vault upserts a missing key on encrypt (given the create capability), derived iff a context came.
      const target = key ?? createKey(name, { derived: typeof body.context === 'string' && body.context !== '' });
      return { ciphertext: encrypt(target, readBase64(body.plaintext, 'plaintext'), body), key_version: target.latestVersion };
    }
    if (!key) throw new VaultError(400, ['encryption key not found']);
    if (operation === 'decrypt') return { plaintext: decrypt(key, body).toString('base64') };
    // Vault's rewrap takes no associated_data (hashicorp/vault#29532): a wrap that used it cannot be rewrapped.
    const withoutAssociatedData = { ...body };
    delete withoutAssociatedData.associated_data;
    const plaintext = decrypt(key, withoutAssociatedData);
    return { ciphertext: encrypt(key, plaintext, withoutAssociatedData), key_version: key.latestVersion };
  }

  /** `keys/<name>/rotate`, `/config` and `/trim`, with Vault's checks and messages (path_rotate.go, path_keys_config.go, path_trim.go). */
  function handleKeyOperation(operation: string, name: string, key: TransitKey | undefined, body: Record<string, unknown>): unknown {
    if (operation === 'rotate') {
      if (!key) throw new VaultError(400, ['key not found']);
      rotateKey(name);
    } else if (operation === 'config') {
      if (!key) throw new VaultError(400, [`no existing key named ${name} could be found`]);
      configureKey(key, body);
    } else {
      if (!key) throw new VaultError(400, ['invalid key name']);
      trimKey(key, body);
    }
    return describeKey(name, key);
  }

  function configureKey(key: TransitKey, body: Record<string, unknown>): void {
    const next = { ...key };
    if (body.min_decryption_version !== undefined) {
      let version = readInteger(body.min_decryption_version, 'min_decryption_version');
      if (version < 0) throw new VaultError(400, ['min decryption version cannot be negative']);
      if (version === 0) version = 1;
      if (version !== key.minDecryptionVersion && version > key.latestVersion) {
        throw new VaultError(400, [`cannot set min decryption version of ${version}, latest key version is ${key.latestVersion}`]);
      }
      next.minDecryptionVersion = version;
    }
    if (body.min_encryption_version !== undefined) {
      const version = readInteger(body.min_encryption_version, 'min_encryption_version');
      if (version < 0) throw new VaultError(400, ['min encryption version cannot be negative']);
      if (version !== key.minEncryptionVersion && version > key.latestVersion) {
        throw new VaultError(400, [`cannot set min encryption version of ${version}, latest key version is ${key.latestVersion}`]);
      }
      next.minEncryptionVersion = version;
    }
    if (next.minEncryptionVersion > 0 && next.minEncryptionVersion < next.minDecryptionVersion) {
      throw new VaultError(400, [
        `cannot set min encryption/decryption values; min encryption version of ${next.minEncryptionVersion} must be greater than or equal to min decryption version of ${next.minDecryptionVersion}`,
      ]);
    }
    // Once set, these cannot be unset.
    if (body.exportable === true) next.exportable = true;
    if (body.allow_plaintext_backup === true) next.allowPlaintextBackup = true;
    if (next.minAvailableVersion > next.minEncryptionVersion) throw new VaultError(400, ['min encryption version should not be less than min available version']);
    if (next.minAvailableVersion > next.minDecryptionVersion) throw new VaultError(400, ['min decryption version should not be less then min available version']);
    Object.assign(key, next);
  }

  function trimKey(key: TransitKey, body: Record<string, unknown>): void {
    if (body.min_available_version === undefined) throw new VaultError(400, ['missing min_available_version']);
    const version = readInteger(body.min_available_version, 'min_available_version');
    if (version < key.minAvailableVersion) throw new VaultError(400, ['minimum available version cannot be decremented']);
    if (key.minEncryptionVersion === 0) throw new VaultError(400, ['minimum available version cannot be set when minimum encryption version is not set']);
    if (key.minDecryptionVersion === 0) throw new VaultError(400, ['minimum available version cannot be set when minimum decryption version is not set']);
    if (version > key.minEncryptionVersion) throw new VaultError(400, ['minimum available version cannot be greater than minmum encryption version']);
    if (version > key.minDecryptionVersion) throw new VaultError(400, ['minimum available version cannot be greater than minimum decryption version']);
    if (version <= 0) throw new VaultError(400, ['minimum available version should be positive']);
    key.minAvailableVersion = version;
    for (const stored of [...key.versions.keys()]) if (stored < version) key.versions.delete(stored);
  }

  function encrypt(key: TransitKey, plaintext: Buffer, body: Record<string, unknown>): string {
    const version = typeof body.key_version === 'number' && body.key_version > 0 ? body.key_version : key.latestVersion;
    if (version > key.latestVersion) throw new VaultError(400, ['requested version for encryption is higher than the latest key version']);
    if (version < key.minEncryptionVersion) throw new VaultError(400, ['requested version for encryption is less than the minimum encryption key version']);
    const versionKey = key.versions.get(version);
    if (!versionKey) throw new VaultError(400, ['invalid key version']);
    const nonce = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', deriveKey(key, versionKey.key, body), nonce);
    cipher.setAAD(readOptionalBase64(body.associated_data));
    const sealed = Buffer.concat([nonce, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
    return `vault:v${version}:${sealed.toString('base64')}`;
  }

  function decrypt(key: TransitKey, body: Record<string, unknown>): Buffer {
    const ciphertext = typeof body.ciphertext === 'string' ? body.ciphertext : '';
    const match = /^vault:v(\d+):(.*)$/.exec(ciphertext);
    if (!match) throw new VaultError(400, ['invalid ciphertext: no prefix']);
    const version = Number(match[1]);
    if (version < key.minDecryptionVersion) throw new VaultError(400, ['ciphertext or signature version is disallowed by policy (too old)']);
    const versionKey = key.versions.get(version);
    if (!versionKey) throw new VaultError(400, ['invalid ciphertext: version is too new']);
    const sealed = Buffer.from(match[2] ?? '', 'base64');
    if (sealed.toString('base64') !== match[2] || sealed.length < 28) throw new VaultError(400, ['invalid ciphertext: could not decode base64']);
    try {
      const decipher = createDecipheriv('aes-256-gcm', deriveKey(key, versionKey.key, body), sealed.subarray(0, 12));
      decipher.setAAD(readOptionalBase64(body.associated_data));
      decipher.setAuthTag(sealed.subarray(-16));
      return Buffer.concat([decipher.update(sealed.subarray(12, -16)), decipher.final()]);
    } catch {
      throw new VaultError(400, ['cipher: message authentication failed']);
    }
  }

  /** Vault's derivation: HKDF-SHA256 of the version key with the context as info (no context: the key itself). */
  function deriveKey(key: TransitKey, versionKey: Buffer, body: Record<string, unknown>): Buffer {
    if (!key.derived) return versionKey;
    const context = readOptionalBase64(body.context);
    if (context.length === 0) {
      throw new VaultError(400, ["missing 'context' for key derivation; the key was created using a derived key, which means additional, per-request information must be included in order to perform operations with the key"]);
    }
    return Buffer.from(hkdfSync('sha256', versionKey, Buffer.alloc(0), context, 32));
  }

  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const path = new URL(request.url ?? '/', 'http://vault').pathname;
      requests.push({ method: request.method ?? '', path, headers: request.headers, body: text });
      try {
        if (request.headers['x-vault-token'] !== token || isTokenRevoked) throw new VaultError(403, ['permission denied']);
        if (options.namespace !== undefined && request.headers['x-vault-namespace'] !== options.namespace) throw new VaultError(403, ['permission denied']);
        const body = text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
        const data = handle(request.method ?? 'GET', path, body);
        if (data === null) {
          response.writeHead(204).end();
          return;
        }
        sendJson(response, 200, { request_id: randomUUID(), lease_id: '', renewable: false, lease_duration: 0, data, wrap_info: null, warnings: null, auth: null });
      } catch (error) {
        if (error instanceof VaultError) sendJson(response, error.status, { errors: error.errors });
        else sendJson(response, 500, { errors: ['1 error occurred:\n\t* internal error\n\n'] });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    address: `http://127.0.0.1:${port}`,
    token,
    mount,
    createKey: (name, keyOptions) => void createKey(name, keyOptions),
    rotateKey,
    setMinDecryptionVersion(name, version) {
      const key = keys.get(name);
      if (key) key.minDecryptionVersion = version;
    },
    storedVersions(name) {
      return [...(keys.get(name)?.versions.keys() ?? [])].sort((a, b) => a - b);
    },
    revokeToken() {
      isTokenRevoked = true;
    },
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function describeKey(name: string, key: TransitKey): object {
  return {
    name,
    type: key.type,
    derived: key.derived,
    kdf: key.derived ? 'hkdf_sha256' : undefined,
    deletion_allowed: false,
    exportable: key.exportable,
    allow_plaintext_backup: key.allowPlaintextBackup,
    // Vault moves versions below min_decryption_version to an archive: they drop out of this map.
    keys: Object.fromEntries(
      [...key.versions].filter(([version]) => version >= key.minDecryptionVersion).map(([version, entry]) => [String(version), entry.createdAt]),
    ),
    latest_version: key.latestVersion,
    min_available_version: key.minAvailableVersion,
    min_decryption_version: key.minDecryptionVersion,
    min_encryption_version: key.minEncryptionVersion,
    supports_encryption: true,
    supports_decryption: true,
    supports_derivation: true,
    supports_signing: false,
    imported: false,
  };
}

function readBase64(value: unknown, field: string): Buffer {
  if (typeof value !== 'string') throw new VaultError(400, [`missing ${field} to encrypt`]);
  return Buffer.from(value, 'base64');
}

/** Vault's TypeInt fields take a JSON number or a numeric string. */
function readInteger(value: unknown, field: string): number {
  const number = typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isInteger(number)) throw new VaultError(400, [`error converting input for field "${field}"`]);
  return number;
}

function readOptionalBase64(value: unknown): Buffer {
  return typeof value === 'string' ? Buffer.from(value, 'base64') : Buffer.alloc(0);
}

function sendJson(response: ServerResponse, status: number, body: object): void {
  response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}
