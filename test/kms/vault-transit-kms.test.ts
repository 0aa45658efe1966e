import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Secret } from '../../src/config/secret.js';
import type { WrapContext, WrappedKey } from '../../src/crypto/kms.js';
import { createVaultTransitKms } from '../../src/crypto/vault-transit-kms.js';
import type { VaultTransitKms, VaultTransitKmsOptions } from '../../src/crypto/vault-transit-kms.js';
import { startVaultTransitServer } from '../support/vault-transit-server.js';
import type { VaultTransitServer } from '../support/vault-transit-server.js';

const context: WrapContext = { purpose: 'data-key', keyId: 'dk-1', contactId: 'contact-1' };
const KEY = 'rampart-kek';

describe('vault-transit KMS against the local Transit stand-in', () => {
  let vault: VaultTransitServer;

  beforeEach(async () => {
    vault = await startVaultTransitServer();
    vault.createKey(KEY, { derived: true });
  });
  afterEach(async () => {
    await vault.close();
  });

  function openKms(overrides: Partial<VaultTransitKmsOptions> = {}): Promise<VaultTransitKms> {
    return createVaultTransitKms({ address: vault.address, mountPath: vault.mount, keyName: KEY, token: new Secret(vault.token), namespace: null, ...overrides });
  }

  /** Changes one base64 character of the sealed part, so Vault (not our format check) must notice. */
  function tamper(wrapped: WrappedKey, position: number): WrappedKey {
    const text = wrapped.ciphertext.toString('ascii');
    const at = 'vault:v1:'.length + position;
    const replacement = text[at] === 'A' ? 'B' : 'A';
    return { ...wrapped, ciphertext: Buffer.from(text.slice(0, at) + replacement + text.slice(at + 1), 'ascii') };
  }

  it('wraps through encrypt and unwraps through decrypt, with the key context as the derivation context', async () => {
    const kms = await openKms();
    expect(kms).toMatchObject({ provider: 'vault-transit', kekId: 'transit/rampart-kek' });
    expect(kms.currentVersion()).toBe(1);
    const key = randomBytes(32);
    const wrapped = await kms.wrapKey(key, context);
    expect(wrapped).toMatchObject({ provider: 'vault-transit', kekId: 'transit/rampart-kek', kekVersion: 1 });
    expect(wrapped.ciphertext.toString('ascii')).toMatch(/^vault:v1:[A-Za-z0-9+/]+=*$/);
    expect(await kms.unwrapKey(wrapped, context)).toEqual(key);
    const encrypt = vault.requests.find((request) => request.path === '/v1/transit/encrypt/rampart-kek');
    expect(encrypt?.headers['x-vault-token']).toBe(vault.token);
    expect(JSON.parse(encrypt?.body ?? '{}')).toEqual({ plaintext: key.toString('base64'), context: expect.any(String) });
  });

  it('refuses to unwrap for another purpose, key id or contact (Vault derives another key)', async () => {
    const kms = await openKms();
    const wrapped = await kms.wrapKey(randomBytes(32), context);
    for (const other of [{ ...context, purpose: 'signing-key' as const }, { ...context, keyId: 'dk-2' }, { ...context, contactId: '' }]) {
      await expect(kms.unwrapKey(wrapped, other)).rejects.toMatchObject({
        code: 'DECRYPT_FAILED',
        message: expect.stringContaining('cipher: message authentication failed'),
      });
    }
  });

  it('refuses tampered ciphertexts, whether Vault or the format check notices', async () => {
    const kms = await openKms();
    const wrapped = await kms.wrapKey(randomBytes(32), context);
    for (const position of [0, 5, 20, 40, 60]) {
      await expect(kms.unwrapKey(tamper(wrapped, position), context)).rejects.toMatchObject({ code: 'DECRYPT_FAILED' });
    }
    const relabelled = { ...wrapped, ciphertext: Buffer.from(wrapped.ciphertext.toString('ascii').replace('vault:v1:', 'vault:v2:')) };
    await expect(kms.unwrapKey(relabelled, context)).rejects.toMatchObject({ code: 'DECRYPT_FAILED', message: expect.stringContaining('recorded key version') });
    await expect(kms.unwrapKey({ ...wrapped, ciphertext: Buffer.from([0xff, 0x00]) }, context)).rejects.toMatchObject({ code: 'DECRYPT_FAILED' });
  });

  it('follows a rotation: new wraps carry v2, v1 wraps still open, rewrap moves them to v2 inside Vault', async () => {
    const kms = await openKms();
    const key = randomBytes(32);
    const v1 = await kms.wrapKey(key, context);
    vault.rotateKey(KEY);
    const v2 = await kms.wrapKey(key, context);
    expect(v2.kekVersion).toBe(2);
    expect(kms.currentVersion()).toBe(2);
    expect(await kms.unwrapKey(v1, context)).toEqual(key);
    const rewrapped = await kms.rewrapKey(v1, context);
    expect(rewrapped).toMatchObject({ kekVersion: 2, kekId: 'transit/rampart-kek' });
    expect(await kms.unwrapKey(rewrapped, context)).toEqual(key);
    // Rewrap never sends the key: only the ciphertext and the context travel.
    const rewrap = vault.requests.find((request) => request.path.startsWith('/v1/transit/rewrap/'));
    expect(Object.keys(JSON.parse(rewrap?.body ?? '{}')).sort()).toEqual(['ciphertext', 'context']);
    await expect(kms.rewrapKey(v1, { ...context, keyId: 'dk-9' })).rejects.toMatchObject({ code: 'DECRYPT_FAILED' });
  });

  it('says so when a version is retired by min_decryption_version', async () => {
    const kms = await openKms();
    const v1 = await kms.wrapKey(randomBytes(32), context);
    vault.rotateKey(KEY);
    vault.setMinDecryptionVersion(KEY, 2);
    await expect(kms.unwrapKey(v1, context)).rejects.toMatchObject({ code: 'KMS_UNAVAILABLE', message: expect.stringContaining('min_decryption_version') });
  });

  it('names a wrong token as KMS_UNAVAILABLE without quoting either token', async () => {
    const wrongToken = `hvs.${randomBytes(18).toString('base64url')}`;
    const failure = await openKms({ token: new Secret(wrongToken) }).catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: 'KMS_UNAVAILABLE', message: expect.stringMatching(/HTTP 403: permission denied.*check RAMPART_VAULT_TOKEN/) });
    const message = (failure as Error).message;
    expect(message).not.toContain(wrongToken);
    expect(message).not.toContain(vault.token);
  });

  it('names a token Vault stops accepting mid-run (revoked or expired)', async () => {
    const kms = await openKms();
    const wrapped = await kms.wrapKey(randomBytes(32), context);
    vault.revokeToken();
    const failure = await kms.unwrapKey(wrapped, context).catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: 'KMS_UNAVAILABLE', message: expect.stringContaining('Vault refused decrypt on transit/keys/rampart-kek (HTTP 403: permission denied)') });
    expect((failure as Error).message).not.toContain(vault.token);
  });

  it('names an unknown key or mount, with the command that creates the key', async () => {
    await expect(openKms({ keyName: 'no-such-key' })).rejects.toMatchObject({
      code: 'KMS_UNAVAILABLE',
      message: expect.stringContaining('Vault has no transit key transit/keys/no-such-key'),
    });
    await expect(openKms({ mountPath: 'elsewhere' })).rejects.toMatchObject({ code: 'KMS_UNAVAILABLE', message: expect.stringContaining('vault write -f elsewhere/keys/rampart-kek type=aes256-gcm96 derived=true') });
  });

  it('refuses a key not created with derived=true, which would ignore the context', async () => {
    vault.createKey('plain-key', { derived: false });
    await expect(openKms({ keyName: 'plain-key' })).rejects.toMatchObject({ code: 'KMS_UNAVAILABLE', message: expect.stringContaining('derived=true') });
  });

  it('refuses a key that could be exported from Vault', async () => {
    vault.createKey('exportable-key', { derived: true, exportable: true });
    await expect(openKms({ keyName: 'exportable-key' })).rejects.toMatchObject({ code: 'KMS_UNAVAILABLE', message: expect.stringContaining('can leave Vault') });
  });

  it('names a Vault that is down, both at start and mid-run', async () => {
    const kms = await openKms();
    const wrapped = await kms.wrapKey(randomBytes(32), context);
    await vault.close();
    await expect(kms.unwrapKey(wrapped, context)).rejects.toMatchObject({ code: 'KMS_UNAVAILABLE', message: expect.stringContaining('cannot be reached') });
    const closedPort = await findClosedPort();
    await expect(openKms({ address: `http://127.0.0.1:${closedPort}` })).rejects.toMatchObject({
      code: 'KMS_UNAVAILABLE',
      message: expect.stringContaining(`Vault at http://127.0.0.1:${closedPort} cannot be reached (ECONNREFUSED)`),
    });
  });

  it('sends the namespace header when one is configured', async () => {
    const namespaced = await startVaultTransitServer({ namespace: 'team-a' });
    try {
      namespaced.createKey(KEY, { derived: true });
      const kms = await createVaultTransitKms({ address: namespaced.address, mountPath: 'transit', keyName: KEY, token: new Secret(namespaced.token), namespace: 'team-a' });
      expect(kms.kekId).toBe('team-a/transit/rampart-kek');
      const key = randomBytes(32);
      expect(await kms.unwrapKey(await kms.wrapKey(key, context), context)).toEqual(key);
      expect(namespaced.requests.every((request) => request.headers['x-vault-namespace'] === 'team-a')).toBe(true);
    } finally {
      await namespaced.close();
    }
  });

  it('answers another provider or another key with KMS_UNAVAILABLE naming both', async () => {
    const kms = await openKms();
    const wrapped = await kms.wrapKey(randomBytes(32), context);
    await expect(kms.unwrapKey({ ...wrapped, provider: 'aws-kms' }, context)).rejects.toMatchObject({
      code: 'KMS_UNAVAILABLE',
      message: expect.stringMatching(/wrapped by the "aws-kms" KMS provider, but RAMPART_KMS selects the "vault-transit" provider/),
    });
    await expect(kms.unwrapKey({ ...wrapped, kekId: 'transit/old-kek' }, context)).rejects.toMatchObject({
      code: 'KMS_UNAVAILABLE',
      message: expect.stringMatching(/KEK transit\/old-kek of the "vault-transit" provider, but RAMPART_KMS selects KEK transit\/rampart-kek/),
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

/** A port nothing listens on: bound, then released. */
async function findClosedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
