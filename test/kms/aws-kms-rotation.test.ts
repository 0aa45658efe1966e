import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAwsKms } from '../../src/crypto/aws-kms.js';
import type { WrapContext } from '../../src/crypto/kms.js';
import { startAwsKmsServer } from '../support/aws-kms-server.js';
import type { AwsKmsServer } from '../support/aws-kms-server.js';
import { useAwsTestCredentials } from './aws-test-credentials.js';

const context: WrapContext = { purpose: 'data-key', keyId: 'dk-1', contactId: 'contact-1' };

/** AWS rotates the backing key inside one ARN; Rampart has nothing to drive, create, rewrap or retire. */
describe('aws-kms KEK rotation against the local KMS stand-in', () => {
  let aws: AwsKmsServer;
  let restoreCredentials: () => void;

  beforeAll(async () => {
    aws = await startAwsKmsServer();
    restoreCredentials = useAwsTestCredentials(aws);
  });
  afterAll(async () => {
    restoreCredentials?.();
    await aws?.close();
  });

  it('offers no Rampart-driven rotation: rotation and rewrapKey are absent, refresh calls nothing and keeps version 1', async () => {
    const keyArn = aws.createKey();
    const kms = await createAwsKms({ keyArn, region: aws.region, endpoint: aws.endpoint, maxAttempts: 1 });
    try {
      expect(kms.rotation).toBeUndefined();
      expect(kms.rewrapKey).toBeUndefined();
      const key = randomBytes(32);
      const before = await kms.wrapKey(key, context);
      const requestsBefore = aws.requests.length;
      aws.rotateKey(keyArn);
      await kms.refresh();
      expect(aws.requests).toHaveLength(requestsBefore);
      expect(kms.currentVersion()).toBe(1);
      // Wraps from before and after the backing-key rotation both record version 1 and unwrap.
      const after = await kms.wrapKey(key, context);
      expect([before.kekVersion, after.kekVersion]).toEqual([1, 1]);
      expect(await kms.unwrapKey(before, context)).toEqual(key);
      expect(await kms.unwrapKey(after, context)).toEqual(key);
      await kms.close();
      await expect(kms.refresh()).rejects.toMatchObject({ code: 'KMS_UNAVAILABLE' });
    } finally {
      await kms.close();
    }
  });
});
