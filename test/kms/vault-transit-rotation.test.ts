import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Secret } from '../../src/config/secret.js';
import type { WrapContext } from '../../src/crypto/kms.js';
import { createVaultTransitKms } from '../../src/crypto/vault-transit-kms.js';
import type { VaultTransitKms } from '../../src/crypto/vault-transit-kms.js';
import { startVaultTransitServer } from '../support/vault-transit-server.js';
import type { RecordedVaultRequest, VaultTransitServer } from '../support/vault-transit-server.js';

const context: WrapContext = { purpose: 'data-key', keyId: 'dk-1', contactId: 'contact-1' };
const KEY = 'rampart-kek';
const KEY_PATH = '/v1/transit/keys/rampart-kek';

describe('vault-transit KEK rotation against the local Transit stand-in', () => {
  let vault: VaultTransitServer;

  beforeEach(async () => {
    vault = await startVaultTransitServer();
    vault.createKey(KEY, { derived: true });
  });
  afterEach(async () => {
    await vault.close();
  });

  function openKms(): Promise<VaultTransitKms> {
    return createVaultTransitKms({ address: vault.address, mountPath: vault.mount, keyName: KEY, token: new Secret(vault.token), namespace: null });
  }

  function requestsTo(suffix: string): RecordedVaultRequest[] {
    return vault.requests.filter((request) => request.method === 'POST' && request.path === `${KEY_PATH}/${suffix}`);
  }

  it('createVersion rotates the key in Vault: new wraps use the new version, old wraps still unwrap', async () => {
    const kms = await openKms();
    const oldKey = randomBytes(32);
    const oldWrap = await kms.wrapKey(oldKey, context);
    expect(await kms.rotation.createVersion()).toBe(2);
    expect(requestsTo('rotate')).toHaveLength(1);
    expect(kms.currentVersion()).toBe(2);
    const newKey = randomBytes(32);
    const newWrap = await kms.wrapKey(newKey, context);
    expect(newWrap.kekVersion).toBe(2);
    expect(await kms.unwrapKey(oldWrap, context)).toEqual(oldKey);
    expect(await kms.unwrapKey(newWrap, context)).toEqual(newKey);
    const versions = await kms.rotation.listVersions();
    expect(versions.map(({ version, state }) => ({ version, state }))).toEqual([
      { version: 1, state: 'active' },
      { version: 2, state: 'active' },
    ]);
    // Vault reports each version's creation time (Unix seconds), listed as ISO 8601.
    for (const { createdAt } of versions) expect(Math.abs(Date.parse(createdAt ?? '') - Date.now())).toBeLessThan(60_000);
  });

  it('a second gateway learns the new version by refresh, and never wraps under the old one meanwhile', async () => {
    const operator = await openKms();
    const gateway = await openKms();
    await operator.rotation.createVersion();
    expect(gateway.currentVersion()).toBe(1);
    await gateway.refresh();
    expect(gateway.currentVersion()).toBe(2);
    const unrefreshed = await openKms();
    await operator.rotation.createVersion();
    // Vault encrypts with its latest version whoever asks, so no wait is needed for new wraps.
    expect((await unrefreshed.wrapKey(randomBytes(32), context)).kekVersion).toBe(3);
    expect(unrefreshed.currentVersion()).toBe(3);
  });

  it('rewrapKey moves a wrap to the newest version inside Vault', async () => {
    const kms = await openKms();
    const key = randomBytes(32);
    const oldWrap = await kms.wrapKey(key, context);
    await kms.rotation.createVersion();
    const moved = await kms.rewrapKey(oldWrap, context);
    expect(moved).toMatchObject({ provider: 'vault-transit', kekId: 'transit/rampart-kek', kekVersion: 2 });
    expect(await kms.unwrapKey(moved, context)).toEqual(key);
  });

  it('retireVersion refuses the current version, unknown versions, and a version below which another still decrypts', async () => {
    const kms = await openKms();
    await expect(kms.rotation.retireVersion(1)).rejects.toMatchObject({
      code: 'KMS_UNAVAILABLE',
      message: expect.stringContaining('Version 1 is the current version of Vault key transit/rampart-kek; rotate first'),
    });
    await kms.rotation.createVersion();
    await kms.rotation.createVersion();
    for (const unknown of [4, 0, 2.5]) {
      await expect(kms.rotation.retireVersion(unknown)).rejects.toMatchObject({ code: 'KMS_UNAVAILABLE', message: expect.stringContaining(`has no version ${unknown}`) });
    }
    // Retiring v2 would raise Vault's floor past v1 too, and v1 may still hold wraps.
    await expect(kms.rotation.retireVersion(2)).rejects.toMatchObject({
      code: 'KMS_UNAVAILABLE',
      message: expect.stringContaining('would also retire version 1, which still decrypt; retire it first'),
    });
    expect([...requestsTo('config'), ...requestsTo('trim')]).toEqual([]);
    expect((await kms.rotation.listVersions()).map((entry) => entry.state)).toEqual(['active', 'active', 'active']);
  });

  it('after retiring, wraps of that version fail with KMS_UNAVAILABLE naming it, new wraps work, and Vault no longer holds it', async () => {
    const kms = await openKms();
    const other = await openKms();
    const key = randomBytes(32);
    const oldWrap = await kms.wrapKey(key, context);
    await kms.rotation.createVersion();
    const moved = await kms.rewrapKey(oldWrap, context);
    await kms.rotation.retireVersion(1);
    // Floors raised (trim needs min_encryption_version set), then the version deleted for good.
    expect(requestsTo('config').map((request) => JSON.parse(request.body) as unknown)).toEqual([{ min_decryption_version: 2, min_encryption_version: 2 }]);
    expect(requestsTo('trim').map((request) => JSON.parse(request.body) as unknown)).toEqual([{ min_available_version: 2 }]);
    expect(vault.storedVersions(KEY)).toEqual([2]);
    for (const gateway of [kms, other]) {
      await expect(gateway.unwrapKey(oldWrap, context)).rejects.toMatchObject({
        code: 'KMS_UNAVAILABLE',
        message: expect.stringContaining('KEK version 1 of Vault key transit/rampart-kek was retired'),
      });
    }
    await expect(kms.rewrapKey(oldWrap, context)).rejects.toMatchObject({ code: 'KMS_UNAVAILABLE', message: expect.stringContaining('was retired') });
    expect(await other.unwrapKey(moved, context)).toEqual(key);
    const newKey = randomBytes(32);
    const newWrap = await kms.wrapKey(newKey, context);
    expect(newWrap.kekVersion).toBe(2);
    expect(await kms.unwrapKey(newWrap, context)).toEqual(newKey);
    expect(await kms.rotation.listVersions()).toEqual([
      { version: 1, state: 'retired', createdAt: null },
      { version: 2, state: 'active', createdAt: expect.any(String) },
    ]);
  });

  it('retires in order, oldest first, and a repeated retirement changes nothing', async () => {
    const kms = await openKms();
    await kms.rotation.createVersion();
    await kms.rotation.createVersion();
    await kms.rotation.retireVersion(1);
    await kms.rotation.retireVersion(2);
    expect(vault.storedVersions(KEY)).toEqual([3]);
    const changesSoFar = requestsTo('config').length + requestsTo('trim').length;
    await kms.rotation.retireVersion(1);
    await kms.rotation.retireVersion(2);
    expect(requestsTo('config').length + requestsTo('trim').length).toBe(changesSoFar);
    expect((await kms.rotation.listVersions()).map((entry) => entry.state)).toEqual(['retired', 'retired', 'active']);
  });

  it('finishes a retirement interrupted after the floor was raised: the version is trimmed on the next run', async () => {
    const kms = await openKms();
    await kms.rotation.createVersion();
    // As if an operator (or a crashed run) had raised only min_decryption_version: v1 is hidden but still in Vault.
    vault.setMinDecryptionVersion(KEY, 2);
    expect(vault.storedVersions(KEY)).toEqual([1, 2]);
    expect((await kms.rotation.listVersions()).map((entry) => entry.state)).toEqual(['retired', 'active']);
    await kms.rotation.retireVersion(1);
    expect(vault.storedVersions(KEY)).toEqual([2]);
  });

  it('names the capability a token lacks for rotation', async () => {
    const kms = await openKms();
    vault.revokeToken();
    await expect(kms.rotation.createVersion()).rejects.toMatchObject({
      code: 'KMS_UNAVAILABLE',
      message: expect.stringContaining('update on transit/keys/rampart-kek/rotate'),
    });
    await expect(kms.rotation.retireVersion(1)).rejects.toMatchObject({ code: 'KMS_UNAVAILABLE', message: expect.stringContaining('read on transit/keys/rampart-kek') });
  });

  it('refuses to go on when a refresh finds the key was made exportable since the gateway started', async () => {
    const kms = await openKms();
    const answer = await fetch(`${vault.address}${KEY_PATH}/config`, {
      method: 'POST',
      headers: { 'x-vault-token': vault.token, 'content-type': 'application/json' },
      body: JSON.stringify({ exportable: true }),
    });
    expect(answer.status).toBe(200);
    await expect(kms.refresh()).rejects.toMatchObject({ code: 'KMS_UNAVAILABLE', message: expect.stringContaining('can leave Vault') });
  });

  it('refuses rotation calls after close', async () => {
    const kms = await openKms();
    await kms.close();
    await expect(kms.refresh()).rejects.toMatchObject({ code: 'KMS_UNAVAILABLE' });
    await expect(kms.rotation.createVersion()).rejects.toMatchObject({ code: 'KMS_UNAVAILABLE' });
    expect(requestsTo('rotate')).toEqual([]);
  });
});
