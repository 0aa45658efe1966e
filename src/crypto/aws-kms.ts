/**
 * The `aws-kms` KMS provider, through the official AWS SDK (@aws-sdk/client-kms): a symmetric KMS key
 * holds the KEK; Rampart calls Encrypt (or GenerateDataKey, so new keys come from KMS's random source)
 * and Decrypt, always naming the key ARN.
 *
 * The wrap context is the EncryptionContext, which KMS binds as AAD:
 *   `rampart:wrap` = `v1`, `rampart:purpose`, `rampart:keyId`, and `rampart:contactId` when the key
 *   belongs to a contact (absent otherwise, so no value is ever empty).
 * These ids (UUIDs and purposes, never phone numbers) appear in CloudTrail, which is what it is for.
 *
 * Versions: KMS rotates a key's backing material itself (automatic rotation or RotateKeyOnDemand) and
 * picks the right one from the ciphertext, so every wrap records kekVersion 1 under kekId = the key ARN
 * and there is nothing for Rampart to rewrap: the provider has no `rotation` and `refresh` has nothing
 * to learn. A new ARN is a new KEK.
 * Credentials come from the SDK's default chain (environment, shared files, SSO, container and
 * instance roles); Rampart holds none.
 */
import { DecryptCommand, EncryptCommand, GenerateDataKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { AppError } from '../errors.js';
import type { KmsProvider, WrapContext, WrappedKey } from './kms.js';
import { AES_KEY_LENGTH } from './primitives.js';
import { assertWrapContext, assertWrappedByThisKek } from './wrap-context.js';

export const AWS_KMS_PROVIDER = 'aws-kms';
const KEK_VERSION = 1;

export interface AwsKmsOptions {
  keyArn: string;
  region: string;
  /** A VPC endpoint or a local test server; null = the SDK's endpoint for the region. */
  endpoint: string | null;
  /** Total attempts per call, retries included (SDK default 3). */
  maxAttempts?: number;
}

export async function createAwsKms(options: AwsKmsOptions): Promise<KmsProvider> {
  const { keyArn, region, endpoint } = options;
  const client = new KMSClient({
    region,
    ...(endpoint === null ? {} : { endpoint }),
    maxAttempts: options.maxAttempts ?? 3,
    // KMS answers in milliseconds; a hung connection must not hold a webhook's commit for minutes.
    requestHandler: { connectionTimeout: 5_000, requestTimeout: 10_000 },
  });
  let isClosed = false;

  function assertOpen(): void {
    if (isClosed) throw new AppError('KMS_UNAVAILABLE', `The AWS KMS provider for ${keyArn} has been closed`);
  }

  async function send<T>(operation: string, call: () => Promise<T>): Promise<T> {
    assertOpen();
    try {
      return await call();
    } catch (error) {
      throw describeAwsFailure(operation, error, keyArn, endpoint ?? `the ${region} endpoint`);
    }
  }

  function toWrappedKey(operation: string, ciphertext: Uint8Array | undefined, keyId: string | undefined): WrappedKey {
    // KMS names the key it used; anything else means the ARN did not select the key we think.
    if (!ciphertext || keyId !== keyArn) throw new AppError('KMS_UNAVAILABLE', `AWS KMS answered ${operation} for a key other than ${keyArn}`);
    return { provider: AWS_KMS_PROVIDER, kekId: keyArn, kekVersion: KEK_VERSION, ciphertext: Buffer.from(ciphertext) };
  }

  return {
    provider: AWS_KMS_PROVIDER,
    kekId: keyArn,
    currentVersion(): number {
      assertOpen();
      return KEK_VERSION;
    },
    async refresh(): Promise<void> {
      // The version is always 1: KMS rotates backing keys under the ARN, out of Rampart's sight.
      assertOpen();
    },
    async wrapKey(key: Buffer, context: WrapContext): Promise<WrappedKey> {
      if (key.length !== AES_KEY_LENGTH) throw new RangeError(`Only ${AES_KEY_LENGTH}-byte keys are wrapped`);
      const command = new EncryptCommand({ KeyId: keyArn, Plaintext: key, EncryptionContext: toEncryptionContext(context) });
      const output = await send('Encrypt', () => client.send(command));
      return toWrappedKey('Encrypt', output.CiphertextBlob, output.KeyId);
    },
    async generateKey(context: WrapContext): Promise<{ key: Buffer; wrapped: WrappedKey }> {
      const command = new GenerateDataKeyCommand({ KeyId: keyArn, KeySpec: 'AES_256', EncryptionContext: toEncryptionContext(context) });
      const output = await send('GenerateDataKey', () => client.send(command));
      const key = Buffer.from(output.Plaintext ?? new Uint8Array());
      if (key.length !== AES_KEY_LENGTH) throw new AppError('KMS_UNAVAILABLE', `AWS KMS GenerateDataKey did not return a ${AES_KEY_LENGTH}-byte key`);
      return { key, wrapped: toWrappedKey('GenerateDataKey', output.CiphertextBlob, output.KeyId) };
    },
    async unwrapKey(wrapped: WrappedKey, context: WrapContext): Promise<Buffer> {
      assertWrappedByThisKek(wrapped, { provider: AWS_KMS_PROVIDER, kekId: keyArn });
      if (wrapped.kekVersion !== KEK_VERSION) throw new AppError('DECRYPT_FAILED', `Wrapped key records KEK version ${wrapped.kekVersion}; aws-kms wraps are always version ${KEK_VERSION}`);
      // Naming the key makes KMS refuse a ciphertext made under any other key (IncorrectKeyException).
      const command = new DecryptCommand({ KeyId: keyArn, CiphertextBlob: wrapped.ciphertext, EncryptionContext: toEncryptionContext(context) });
      const output = await send('Decrypt', () => client.send(command));
      const key = Buffer.from(output.Plaintext ?? new Uint8Array());
      if (output.KeyId !== keyArn || key.length !== AES_KEY_LENGTH) {
        key.fill(0);
        throw new AppError('DECRYPT_FAILED', `AWS KMS Decrypt did not return a ${AES_KEY_LENGTH}-byte key under ${keyArn}`);
      }
      return key;
    },
    async close(): Promise<void> {
      isClosed = true;
      client.destroy();
    },
  };
}

export function toEncryptionContext(context: WrapContext): Record<string, string> {
  assertWrapContext(context);
  return {
    'rampart:wrap': 'v1',
    'rampart:purpose': context.purpose,
    'rampart:keyId': context.keyId,
    ...(context.contactId === '' ? {} : { 'rampart:contactId': context.contactId }),
  };
}

const decryptFailures: ReadonlySet<string> = new Set(['InvalidCiphertextException', 'IncorrectKeyException']);
const keyStateFailures: ReadonlySet<string> = new Set(['NotFoundException', 'DisabledException', 'KMSInvalidStateException', 'KeyUnavailableException']);
const credentialFailures: ReadonlySet<string> = new Set([
  'AccessDeniedException',
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'ExpiredTokenException',
  'IncompleteSignatureException',
  'MissingAuthenticationTokenException',
  'CredentialsProviderError',
]);

/** The SDK error's name says which; its message is not passed on (AWS text may name principals). */
function describeAwsFailure(operation: string, error: unknown, keyArn: string, endpoint: string): AppError {
  const name = error instanceof Error ? error.name : 'UnknownError';
  if (decryptFailures.has(name)) {
    return new AppError('DECRYPT_FAILED', `AWS KMS refused to decrypt the wrapped key (${name}): wrong key context, another key's ciphertext, or tampered`);
  }
  if (keyStateFailures.has(name)) {
    return new AppError('KMS_UNAVAILABLE', `AWS KMS cannot use key ${keyArn} (${name}); check that the ARN in RAMPART_KMS exists in its region and is enabled`);
  }
  if (credentialFailures.has(name)) {
    return new AppError(
      'KMS_UNAVAILABLE',
      `AWS KMS refused ${operation} on ${keyArn} (${name}); check the credentials the AWS SDK finds (environment, profile, role) ` +
        'and that their policy allows kms:Encrypt, kms:GenerateDataKey and kms:Decrypt on this key',
    );
  }
  const code = readNetworkCode(error);
  if (code !== null) return new AppError('KMS_UNAVAILABLE', `AWS KMS at ${endpoint} cannot be reached (${code}); check RAMPART_AWS_KMS_ENDPOINT or the network`);
  return new AppError('KMS_UNAVAILABLE', `AWS KMS ${operation} on ${keyArn} failed (${name}); try again, and check the AWS service health if it persists`);
}

function readNetworkCode(error: unknown): string | null {
  if (typeof error !== 'object' || error === null) return null;
  if ('code' in error && typeof error.code === 'string') return error.code;
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'RequestTimeout')) return 'timed out';
  return null;
}
