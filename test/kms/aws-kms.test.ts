import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createAwsKms } from '../../src/crypto/aws-kms.js';
import type { AwsKmsOptions } from '../../src/crypto/aws-kms.js';
import type { KmsProvider, WrapContext } from '../../src/crypto/kms.js';
import { startAwsKmsServer } from '../support/aws-kms-server.js';
import type { AwsKmsServer } from '../support/aws-kms-server.js';
import { useAwsTestCredentials } from './aws-test-credentials.js';

const context: WrapContext = { purpose: 'data-key', keyId: 'dk-1', contactId: 'contact-1' };

describe('aws-kms KMS through the AWS SDK against the local KMS stand-in', () => {
  let aws: AwsKmsServer;
  let keyArn: string;
  let restoreCredentials: () => void;
  const opened: KmsProvider[] = [];

  beforeAll(async () => {
    aws = await startAwsKmsServer();
    restoreCredentials = useAwsTestCredentials(aws);
    keyArn = aws.createKey();
  });
  afterEach(async () => {
    for (const kms of opened.splice(0)) await kms.close();
  });
  afterAll(async () => {
    restoreCredentials?.();
    await aws?.close();
  });

  async function openKms(overrides: Partial<AwsKmsOptions> = {}): Promise<KmsProvider> {
    const kms = await createAwsKms({ keyArn, region: aws.region, endpoint: aws.endpoint, maxAttempts: 1, ...overrides });
    opened.push(kms);
    return kms;
  }

  it('wraps with Encrypt and unwraps with Decrypt, naming the key and binding the context', async () => {
    const kms = await openKms();
    expect(kms).toMatchObject({ provider: 'aws-kms', kekId: keyArn });
    expect(kms.currentVersion()).toBe(1);
    const key = randomBytes(32);
    const wrapped = await kms.wrapKey(key, context);
    expect(wrapped).toMatchObject({ provider: 'aws-kms', kekId: keyArn, kekVersion: 1 });
    expect(wrapped.ciphertext.includes(key)).toBe(false);
    expect(await kms.unwrapKey(wrapped, context)).toEqual(key);
    const [encrypt, decrypt] = aws.requests.slice(-2);
    expect(encrypt).toMatchObject({ target: 'TrentService.Encrypt', body: { KeyId: keyArn } });
    expect(encrypt?.body.EncryptionContext).toEqual({ 'rampart:wrap': 'v1', 'rampart:purpose': 'data-key', 'rampart:keyId': 'dk-1', 'rampart:contactId': 'contact-1' });
    expect(decrypt).toMatchObject({ target: 'TrentService.Decrypt', body: { KeyId: keyArn, EncryptionContext: encrypt?.body.EncryptionContext } });
    // Signed by the SDK (SigV4 for kms in the key's region); the stand-in checks the headers are there.
    expect(decrypt?.headers.authorization).toMatch(new RegExp(`^AWS4-HMAC-SHA256 Credential=${aws.accessKeyId}/\\d{8}/eu-west-1/kms/aws4_request`));
  });

  it('makes new keys with GenerateDataKey, so they come from KMS', async () => {
    const kms = await openKms();
    const { key, wrapped } = await kms.generateKey!({ ...context, contactId: '' });
    expect(key).toHaveLength(32);
    expect(aws.requests.at(-1)).toMatchObject({ target: 'TrentService.GenerateDataKey', body: { KeyId: keyArn, KeySpec: 'AES_256' } });
    // A key that belongs to no contact carries no contactId entry: no context value is ever empty.
    expect(aws.requests.at(-1)?.body.EncryptionContext).toEqual({ 'rampart:wrap': 'v1', 'rampart:purpose': 'data-key', 'rampart:keyId': 'dk-1' });
    expect(await kms.unwrapKey(wrapped, { ...context, contactId: '' })).toEqual(key);
    await expect(kms.unwrapKey(wrapped, context)).rejects.toMatchObject({ code: 'DECRYPT_FAILED' });
  });

  it('refuses to unwrap for another purpose, key id or contact', async () => {
    const kms = await openKms();
    const wrapped = await kms.wrapKey(randomBytes(32), context);
    for (const other of [{ ...context, purpose: 'index-key' as const }, { ...context, keyId: 'dk-2' }, { ...context, contactId: 'contact-2' }, { ...context, contactId: '' }]) {
      await expect(kms.unwrapKey(wrapped, other)).rejects.toMatchObject({ code: 'DECRYPT_FAILED', message: expect.stringContaining('InvalidCiphertextException') });
    }
  });

  it('refuses a ciphertext blob with any byte changed', async () => {
    const kms = await openKms();
    const wrapped = await kms.wrapKey(randomBytes(32), context);
    for (let byte = 0; byte < wrapped.ciphertext.length; byte += 7) {
      const tampered = Buffer.from(wrapped.ciphertext);
      tampered[byte] = (tampered[byte] ?? 0) ^ 0x01;
      await expect(kms.unwrapKey({ ...wrapped, ciphertext: tampered }, context)).rejects.toMatchObject({ code: 'DECRYPT_FAILED' });
    }
  });

  it('keeps wraps readable across KMS rotation of the backing key: the ARN and version 1 stay', async () => {
    const rotatingArn = aws.createKey();
    const kms = await openKms({ keyArn: rotatingArn });
    const key = randomBytes(32);
    const before = await kms.wrapKey(key, context);
    aws.rotateKey(rotatingArn);
    const after = await kms.wrapKey(key, context);
    expect(after).toMatchObject({ kekId: rotatingArn, kekVersion: 1 });
    expect(after.ciphertext.equals(before.ciphertext)).toBe(false);
    expect(await kms.unwrapKey(before, context)).toEqual(key);
    expect(await kms.unwrapKey(after, context)).toEqual(key);
  });

  it("refuses another key's ciphertext even with the right context (Decrypt names the key)", async () => {
    const otherArn = aws.createKey();
    const other = await openKms({ keyArn: otherArn });
    const kms = await openKms();
    const wrapped = await other.wrapKey(randomBytes(32), context);
    // Relabelled in the database as ours: KMS itself refuses, because Decrypt names our key.
    await expect(kms.unwrapKey({ ...wrapped, kekId: keyArn }, context)).rejects.toMatchObject({ code: 'DECRYPT_FAILED', message: expect.stringContaining('IncorrectKeyException') });
    await expect(kms.unwrapKey(wrapped, context)).rejects.toMatchObject({
      code: 'KMS_UNAVAILABLE',
      message: expect.stringContaining(`KEK ${otherArn} of the "aws-kms" provider, but RAMPART_KMS selects KEK ${keyArn}`),
    });
  });

  it('names an unknown or disabled key as KMS_UNAVAILABLE', async () => {
    const unknownArn = `arn:aws:kms:eu-west-1:111122223333:key/${'0'.repeat(8)}-0000-0000-0000-${'0'.repeat(12)}`;
    const unknown = await openKms({ keyArn: unknownArn });
    await expect(unknown.wrapKey(randomBytes(32), context)).rejects.toMatchObject({ code: 'KMS_UNAVAILABLE', message: expect.stringMatching(/NotFoundException.*exists in its region and is enabled/) });
    const disabledArn = aws.createKey();
    const disabled = await openKms({ keyArn: disabledArn });
    const wrapped = await disabled.wrapKey(randomBytes(32), context);
    aws.disableKey(disabledArn);
    await expect(disabled.unwrapKey(wrapped, context)).rejects.toMatchObject({ code: 'KMS_UNAVAILABLE', message: expect.stringContaining('DisabledException') });
  });

  it('names credentials KMS does not recognise, without quoting them', async () => {
    const wrongKeyId = 'AKIAWRONGWRONGWRONG1';
    const wrongSecret = randomBytes(30).toString('base64');
    const restore = useAwsTestCredentials({ accessKeyId: wrongKeyId, secretAccessKey: wrongSecret });
    try {
      const kms = await openKms();
      const failure = await kms.wrapKey(randomBytes(32), context).catch((error: unknown) => error);
      expect(failure).toMatchObject({ code: 'KMS_UNAVAILABLE', message: expect.stringMatching(/UnrecognizedClientException.*credentials the AWS SDK finds/) });
      expect((failure as Error).message).not.toContain(wrongKeyId);
      expect((failure as Error).message).not.toContain(wrongSecret);
    } finally {
      restore();
    }
  });

  it('names an endpoint that is down', async () => {
    const down = await startAwsKmsServer();
    const endpoint = down.endpoint;
    await down.close();
    const kms = await openKms({ endpoint });
    await expect(kms.wrapKey(randomBytes(32), context)).rejects.toMatchObject({
      code: 'KMS_UNAVAILABLE',
      message: expect.stringContaining(`AWS KMS at ${endpoint} cannot be reached (ECONNREFUSED)`),
    });
  });

  it('answers another provider with KMS_UNAVAILABLE naming both', async () => {
    const kms = await openKms();
    const wrapped = await kms.wrapKey(randomBytes(32), context);
    await expect(kms.unwrapKey({ ...wrapped, provider: 'pkcs11' }, context)).rejects.toMatchObject({
      code: 'KMS_UNAVAILABLE',
      message: expect.stringMatching(/wrapped by the "pkcs11" KMS provider, but RAMPART_KMS selects the "aws-kms" provider/),
    });
    await expect(kms.unwrapKey({ ...wrapped, provider: 'somewhere-else' }, context)).rejects.toMatchObject({
      message: expect.stringContaining('wrapped by an unknown KMS provider'),
    });
  });

  it('refuses every call after close', async () => {
    const kms = await openKms();
    const wrapped = await kms.wrapKey(randomBytes(32), context);
    await kms.close();
    await expect(kms.wrapKey(randomBytes(32), context)).rejects.toMatchObject({ code: 'KMS_UNAVAILABLE' });
    await expect(kms.unwrapKey(wrapped, context)).rejects.toMatchObject({ code: 'KMS_UNAVAILABLE' });
  });
});
