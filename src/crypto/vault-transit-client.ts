/**
 * A small typed client for the HashiCorp Vault Transit calls Rampart makes, over fetch: read key
 * (`GET /v1/<mount>/keys/<name>`), encrypt, decrypt and rewrap (`POST /v1/<mount>/<op>/<name>`), and for
 * `rampart keys`: rotate, config (min_decryption_version, min_encryption_version) and trim
 * (`POST /v1/<mount>/keys/<name>/<op>`).
 * Every failure becomes an AppError that says what to check; none quotes the token, a plaintext or a
 * ciphertext. Vault's own error text (`{ "errors": [...] }`) is passed on, trimmed, because it names the
 * cause (permission denied, sealed) and never carries request data.
 */
import { z } from 'zod';
import type { Secret } from '../config/secret.js';
import { AppError } from '../errors.js';

export interface VaultTransitClientOptions {
  /** Scheme, host and port, e.g. https://vault:8200. */
  address: string;
  mountPath: string;
  keyName: string;
  token: Secret;
  namespace: string | null;
  /** Per request; Vault answers in milliseconds, so a slow answer means trouble. Default 10 s. */
  timeoutMs?: number;
}

const keySchema = z.object({
  data: z.object({
    type: z.string(),
    derived: z.boolean(),
    // A key that could leave Vault (export, plaintext backup) is refused (vault-transit-kms.ts).
    exportable: z.boolean().default(false),
    allow_plaintext_backup: z.boolean().default(false),
    latest_version: z.number().int().positive(),
    min_decryption_version: z.number().int().nonnegative(),
    // Versions below min_available_version were trimmed: deleted from Vault for good.
    min_encryption_version: z.number().int().nonnegative().default(0),
    min_available_version: z.number().int().nonnegative().default(0),
    // Symmetric keys: version → creation time (Unix seconds); Vault lists only versions that still decrypt.
    keys: z.record(z.string(), z.unknown()).default({}),
    supports_encryption: z.boolean(),
    supports_decryption: z.boolean(),
  }),
});
const ciphertextSchema = z.object({ data: z.object({ ciphertext: z.string().min(1) }) });
const plaintextSchema = z.object({ data: z.object({ plaintext: z.string() }) });
const errorsSchema = z.object({ errors: z.array(z.string()) });

export type VaultKeyInfo = z.infer<typeof keySchema>['data'];
type Operation = 'read key' | 'encrypt' | 'decrypt' | 'rewrap' | 'rotate' | 'configure' | 'trim';
/** Rotate, config and trim answer 204 (older Vault) or 200 with the key's description (newer): either is fine. */
const anyAnswer = z.unknown();

export interface VaultKeyVersionFloors {
  min_decryption_version: number;
  min_encryption_version: number;
}

/** Vault refused a ciphertext because its key version is below min_decryption_version (retired). */
export class VaultVersionRetiredError extends AppError {
  constructor(message: string) {
    super('KMS_UNAVAILABLE', message);
  }
}

export function createVaultTransitClient(options: VaultTransitClientOptions) {
  const { address, mountPath, keyName, token, namespace, timeoutMs = 10_000 } = options;
  const keyPath = `${mountPath}/keys/${keyName}`;

  async function call<T>(operation: Operation, method: 'GET' | 'POST', path: string, body: object | null, schema: z.ZodType<T>): Promise<T> {
    let response: Response;
    try {
      response = await fetch(`${address}/v1/${path}`, {
        method,
        headers: {
          'x-vault-token': token.reveal(),
          ...(namespace === null ? {} : { 'x-vault-namespace': namespace }),
          ...(body === null ? {} : { 'content-type': 'application/json' }),
        },
        body: body === null ? undefined : JSON.stringify(body),
        // A redirect would carry the token to whatever address Vault names; refuse to follow it.
        redirect: 'manual',
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      throw new AppError('KMS_UNAVAILABLE', `Vault at ${address} cannot be reached (${describeNetworkError(error, timeoutMs)}); check the address in RAMPART_KMS and that Vault is running`);
    }
    const json = await response.json().catch(() => null);
    if (!response.ok) throw describeVaultRefusal(operation, response.status, json, { address, keyPath, mountPath, keyName });
    const parsed = schema.safeParse(json);
    if (!parsed.success) throw new AppError('KMS_UNAVAILABLE', `Vault's answer to ${operation} on ${keyPath} is not what the Transit API documents`);
    return parsed.data;
  }

  return {
    async readKey(): Promise<VaultKeyInfo> {
      return (await call('read key', 'GET', keyPath, null, keySchema)).data;
    },
    /** `context` is the derivation context (base64 on the wire); returns Vault's `vault:v<N>:…` string. */
    async encrypt(plaintext: Buffer, context: Buffer): Promise<string> {
      const body = { plaintext: plaintext.toString('base64'), context: context.toString('base64') };
      return (await call('encrypt', 'POST', `${mountPath}/encrypt/${keyName}`, body, ciphertextSchema)).data.ciphertext;
    },
    async decrypt(ciphertext: string, context: Buffer): Promise<Buffer> {
      const body = { ciphertext, context: context.toString('base64') };
      return Buffer.from((await call('decrypt', 'POST', `${mountPath}/decrypt/${keyName}`, body, plaintextSchema)).data.plaintext, 'base64');
    },
    /** Re-encrypts under the newest key version inside Vault; the plaintext never leaves it. */
    async rewrap(ciphertext: string, context: Buffer): Promise<string> {
      const body = { ciphertext, context: context.toString('base64') };
      return (await call('rewrap', 'POST', `${mountPath}/rewrap/${keyName}`, body, ciphertextSchema)).data.ciphertext;
    },
    /** Adds a key version; Vault encrypts with it from now on. */
    async rotateKey(): Promise<void> {
      await call('rotate', 'POST', `${keyPath}/rotate`, null, anyAnswer);
    },
    /** Raises (or sets) the floors below which Vault refuses to decrypt, and to encrypt with an explicit key_version. */
    async configureKey(floors: VaultKeyVersionFloors): Promise<void> {
      await call('configure', 'POST', `${keyPath}/config`, floors, anyAnswer);
    },
    /** Deletes every key version below `minAvailableVersion` from Vault, for good. */
    async trimKey(minAvailableVersion: number): Promise<void> {
      await call('trim', 'POST', `${keyPath}/trim`, { min_available_version: minAvailableVersion }, anyAnswer);
    },
  };
}

export type VaultTransitClient = ReturnType<typeof createVaultTransitClient>;

interface KeyLocation {
  address: string;
  keyPath: string;
  mountPath: string;
  keyName: string;
}

/** Maps Vault's status and error text to DECRYPT_FAILED (this ciphertext is bad) or KMS_UNAVAILABLE (Vault or its setup is). */
function describeVaultRefusal(operation: Operation, status: number, json: unknown, where: KeyLocation): AppError {
  const vaultSays = describeVaultErrors(json);
  const because = vaultSays === '' ? `HTTP ${status}` : `HTTP ${status}: ${vaultSays}`;
  if (status === 403) {
    return new AppError(
      'KMS_UNAVAILABLE',
      `Vault refused ${operation} on ${where.keyPath} (${because}); check RAMPART_VAULT_TOKEN (set, not expired, not revoked), ` +
        `RAMPART_VAULT_NAMESPACE, and that its policy allows ${describeNeededCapability(operation, where)} (docs/kms.md lists the policies)`,
    );
  }
  if (status === 404 || /encryption key not found|no handler for route|^key not found|no existing key named|invalid key name/i.test(vaultSays)) {
    return new AppError(
      'KMS_UNAVAILABLE',
      `Vault has no transit key ${where.keyPath} (${because}); check the mount and key name in RAMPART_KMS, or create it with ` +
        `\`vault write -f ${where.mountPath}/keys/${where.keyName} type=aes256-gcm96 derived=true\``,
    );
  }
  if (status === 400 && (operation === 'decrypt' || operation === 'rewrap')) {
    if (/disallowed by policy|too old/i.test(vaultSays)) {
      return new VaultVersionRetiredError(`Vault no longer decrypts this key version (${because}); the key's min_decryption_version was raised past it`);
    }
    // Vault answers 400 for a tag that does not verify (wrong context) and for a malformed ciphertext.
    return new AppError('DECRYPT_FAILED', `Vault could not unwrap the key (${because}): wrong key context, or tampered`);
  }
  if (status === 503) return new AppError('KMS_UNAVAILABLE', `Vault at ${where.address} is unavailable (${because}); it may be sealed or in standby`);
  if (status >= 300 && status < 400) {
    return new AppError('KMS_UNAVAILABLE', `Vault at ${where.address} redirected ${operation} (${because}); point RAMPART_KMS at the active node, or enable request forwarding`);
  }
  return new AppError('KMS_UNAVAILABLE', `Vault refused ${operation} on ${where.keyPath} (${because})`);
}

function describeNeededCapability(operation: Operation, where: KeyLocation): string {
  switch (operation) {
    case 'read key':
      return `read on ${where.keyPath}`;
    case 'encrypt':
    case 'decrypt':
    case 'rewrap':
      return `update on ${where.mountPath}/${operation}/${where.keyName}`;
    case 'rotate':
    case 'trim':
      return `update on ${where.keyPath}/${operation}`;
    case 'configure':
      return `update on ${where.keyPath}/config`;
  }
}

/** Vault's error strings, trimmed to printable ASCII: they name causes, and are shown to operators. */
function describeVaultErrors(json: unknown): string {
  const parsed = errorsSchema.safeParse(json);
  if (!parsed.success) return '';
  return parsed.data.errors.join('; ').replace(/[^\x20-\x7e]/g, ' ').slice(0, 300);
}

function describeNetworkError(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) return `no answer within ${timeoutMs} ms`;
  const cause = error instanceof Error ? error.cause : undefined;
  const code = typeof cause === 'object' && cause !== null && 'code' in cause && typeof cause.code === 'string' ? cause.code : undefined;
  return code ?? 'network error';
}
