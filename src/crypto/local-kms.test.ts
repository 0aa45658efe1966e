import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openKeyring } from './keyring-file.js';
import type { WrapContext } from './kms.js';
import { createLocalKms } from './local-kms.js';
import { randomBytes } from './primitives.js';

const context: WrapContext = { purpose: 'data-key', keyId: 'dk-1', contactId: 'contact-1' };
let directory: string;
let keyringPath: string;

beforeEach(async () => {
  directory = await mkdtemp(path.join(tmpdir(), 'rampart-kms-'));
  keyringPath = path.join(directory, 'keyring.json');
});

afterEach(async () => {
  await rm(directory, { recursive: true, force: true });
});

describe('local KMS keyring', () => {
  it('creates a keyring on first start and reopens it with the same master key', async () => {
    const masterKey = randomBytes(32);
    const first = await createLocalKms({ keyringPath, masterKey });
    expect(first.provider).toBe('local');
    expect(first.kekId).toMatch(/^kr_[0-9a-f]{32}$/);
    expect(first.currentVersion()).toBe(1);
    const dataKey = randomBytes(32);
    const wrapped = await first.wrapKey(dataKey, context);
    await first.close();

    const second = await createLocalKms({ keyringPath, masterKey });
    expect(second.kekId).toBe(first.kekId);
    expect(await second.unwrapKey(wrapped, context)).toEqual(dataKey);
    await second.close();
  });

  it('writes the keyring with mode 0600 and leaves no temp files behind', async () => {
    const kms = await createLocalKms({ keyringPath, masterKey: randomBytes(32) });
    expect((await stat(keyringPath)).mode & 0o777).toBe(0o600);
    expect(await readdir(directory)).toEqual(['keyring.json']);
    await kms.close();
  });

  it('shares one keyring when two processes create it at the same moment', async () => {
    const masterKey = randomBytes(32);
    const [first, second] = await Promise.all([
      createLocalKms({ keyringPath, masterKey }),
      createLocalKms({ keyringPath, masterKey }),
    ]);
    expect(second.kekId).toBe(first.kekId);
    const wrapped = await first.wrapKey(randomBytes(32), context);
    await expect(second.unwrapKey(wrapped, context)).resolves.toHaveLength(32);
    expect(await readdir(directory)).toEqual(['keyring.json']);
    await Promise.all([first.close(), second.close()]);
  });

  it('stores sealed metadata only: neither the master key nor any KEK appears in the file', async () => {
    const masterKey = randomBytes(32);
    await (await createLocalKms({ keyringPath, masterKey })).close();
    const fileBytes = await readFile(keyringPath);
    const file: unknown = JSON.parse(fileBytes.toString('utf8'));
    expect(Object.keys(file as object).sort()).toEqual(['ciphertext', 'format', 'kekId', 'nonce', 'tag', 'version']);
    const text = fileBytes.toString('utf8');
    const keyring = openKeyring(fileBytes, masterKey, keyringPath);
    const secrets = [masterKey, ...keyring.versions.flatMap((entry) => (entry.state === 'active' ? [entry.key] : []))];
    expect(secrets).toHaveLength(2);
    for (const secret of secrets) {
      for (const encoding of ['base64', 'base64url', 'hex'] as const) expect(text).not.toContain(secret.toString(encoding));
      expect(fileBytes.includes(secret)).toBe(false);
    }
  });

  it('refuses a wrong master key with a message naming the file and what to check', async () => {
    await (await createLocalKms({ keyringPath, masterKey: randomBytes(32) })).close();
    await expect(createLocalKms({ keyringPath, masterKey: randomBytes(32) })).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringContaining(`RAMPART_MASTER_KEY does not open the keyring at ${keyringPath}`),
    });
  });

  it('reports a damaged keyring clearly instead of replacing it', async () => {
    const masterKey = randomBytes(32);
    await (await createLocalKms({ keyringPath, masterKey })).close();
    const original = await readFile(keyringPath, 'utf8');
    const damaged = [
      '{ not json',
      JSON.stringify({ ...JSON.parse(original), nonce: undefined }),
      JSON.stringify({ ...JSON.parse(original), tag: Buffer.alloc(8).toString('base64') }),
    ];
    for (const content of damaged) {
      await writeFile(keyringPath, content);
      await expect(createLocalKms({ keyringPath, masterKey })).rejects.toMatchObject({
        code: 'CONFIG_INVALID',
        message: expect.stringContaining(`The keyring at ${keyringPath} is damaged`),
      });
      expect(await readFile(keyringPath, 'utf8')).toBe(content);
    }
  });

  it('refuses a sealed body moved under another kekId label', async () => {
    const masterKey = randomBytes(32);
    await (await createLocalKms({ keyringPath, masterKey })).close();
    const file = JSON.parse(await readFile(keyringPath, 'utf8')) as Record<string, unknown>;
    await writeFile(keyringPath, JSON.stringify({ ...file, kekId: `kr_${randomBytes(16).toString('hex')}` }));
    await expect(createLocalKms({ keyringPath, masterKey })).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
  });

  it('asks for an upgrade when the keyring format is newer', async () => {
    const masterKey = randomBytes(32);
    await (await createLocalKms({ keyringPath, masterKey })).close();
    const file = JSON.parse(await readFile(keyringPath, 'utf8')) as Record<string, unknown>;
    await writeFile(keyringPath, JSON.stringify({ ...file, version: 2 }));
    await expect(createLocalKms({ keyringPath, masterKey })).rejects.toThrow(/format version 2.*upgrade Rampart/);
  });

  it('refuses a master key that is not 32 bytes', async () => {
    await expect(createLocalKms({ keyringPath, masterKey: randomBytes(16) })).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
    });
  });
});

describe('local KMS wrapping', () => {
  it('wraps a key as nonce ‖ ciphertext ‖ tag, fresh each time, and unwraps it', async () => {
    const kms = await createLocalKms({ keyringPath, masterKey: randomBytes(32) });
    const key = randomBytes(32);
    const first = await kms.wrapKey(key, context);
    const second = await kms.wrapKey(key, context);
    expect(first).toMatchObject({ provider: 'local', kekId: kms.kekId, kekVersion: 1 });
    expect(first.ciphertext).toHaveLength(12 + 32 + 16);
    expect(first.ciphertext.includes(key)).toBe(false);
    expect(first.ciphertext.equals(second.ciphertext)).toBe(false);
    expect(await kms.unwrapKey(first, context)).toEqual(key);
    expect(await kms.unwrapKey(second, context)).toEqual(key);
  });

  it('refuses to unwrap for another purpose, key id or contact', async () => {
    const kms = await createLocalKms({ keyringPath, masterKey: randomBytes(32) });
    const wrapped = await kms.wrapKey(randomBytes(32), context);
    const others: WrapContext[] = [
      { ...context, purpose: 'index-key' },
      { ...context, keyId: 'dk-2' },
      { ...context, contactId: 'contact-2' },
      { ...context, contactId: '' },
    ];
    for (const other of others) {
      await expect(kms.unwrapKey(wrapped, other)).rejects.toMatchObject({ code: 'DECRYPT_FAILED' });
    }
  });

  it('refuses tampered or truncated wrapped keys', async () => {
    const kms = await createLocalKms({ keyringPath, masterKey: randomBytes(32) });
    const wrapped = await kms.wrapKey(randomBytes(32), context);
    for (let byte = 0; byte < wrapped.ciphertext.length; byte += 1) {
      const tampered = Buffer.from(wrapped.ciphertext);
      tampered[byte] = (tampered[byte] ?? 0) ^ 0x80;
      await expect(kms.unwrapKey({ ...wrapped, ciphertext: tampered }, context)).rejects.toMatchObject({
        code: 'DECRYPT_FAILED',
      });
    }
    for (const length of [0, 12, 28, 59]) {
      const truncated = { ...wrapped, ciphertext: wrapped.ciphertext.subarray(0, length) };
      await expect(kms.unwrapKey(truncated, context)).rejects.toMatchObject({ code: 'DECRYPT_FAILED' });
    }
  });

  it('names an unknown KEK version, another keyring or another provider as KMS_UNAVAILABLE', async () => {
    const kms = await createLocalKms({ keyringPath, masterKey: randomBytes(32) });
    const wrapped = await kms.wrapKey(randomBytes(32), context);
    await expect(kms.unwrapKey({ ...wrapped, kekVersion: 2 }, context)).rejects.toMatchObject({
      code: 'KMS_UNAVAILABLE',
      message: expect.stringContaining('KEK version 2 is not in keyring'),
    });
    await expect(kms.unwrapKey({ ...wrapped, kekId: 'kr_other' }, context)).rejects.toMatchObject({
      code: 'KMS_UNAVAILABLE',
    });
    await expect(kms.unwrapKey({ ...wrapped, provider: 'aws-kms' }, context)).rejects.toMatchObject({
      code: 'KMS_UNAVAILABLE',
    });
  });

  it('refuses keys that are not 32 bytes and every call after close', async () => {
    const kms = await createLocalKms({ keyringPath, masterKey: randomBytes(32) });
    const wrapped = await kms.wrapKey(randomBytes(32), context);
    await expect(kms.wrapKey(randomBytes(16), context)).rejects.toThrow(RangeError);
    await kms.close();
    await expect(kms.wrapKey(randomBytes(32), context)).rejects.toMatchObject({ code: 'KMS_UNAVAILABLE' });
    await expect(kms.unwrapKey(wrapped, context)).rejects.toMatchObject({ code: 'KMS_UNAVAILABLE' });
    expect(() => kms.currentVersion()).toThrow(expect.objectContaining({ code: 'KMS_UNAVAILABLE' }));
  });
});

describe('local KMS rotation', () => {
  function createFakeClock(start = Date.parse('2026-11-23T12:00:00Z')) {
    let now = start;
    return { now: () => now, advance: (ms: number) => (now += ms) };
  }

  it('wraps under a new version at once while older wraps still unwrap', async () => {
    const kms = await createLocalKms({ keyringPath, masterKey: randomBytes(32) });
    const key = randomBytes(32);
    const old = await kms.wrapKey(key, context);
    expect(await kms.rotation.createVersion()).toBe(2);
    expect(kms.currentVersion()).toBe(2);
    const fresh = await kms.wrapKey(key, context);
    expect(fresh.kekVersion).toBe(2);
    expect(await kms.unwrapKey(old, context)).toEqual(key);
    expect(await kms.unwrapKey(fresh, context)).toEqual(key);
    expect((await kms.rotation.listVersions()).map((entry) => [entry.version, entry.state])).toEqual([[1, 'active'], [2, 'active']]);
  });

  it('another process unwraps the new version at once and wraps with it after its refresh interval', async () => {
    const masterKey = randomBytes(32);
    const clock = createFakeClock();
    const rotator = await createLocalKms({ keyringPath, masterKey });
    const gateway = await createLocalKms({ keyringPath, masterKey, clock, refreshIntervalMs: 5_000 });
    await rotator.rotation.createVersion();
    const key = randomBytes(32);
    // Meeting an unknown version makes it re-read the keyring.
    expect(await gateway.unwrapKey(await rotator.wrapKey(key, context), context)).toEqual(key);

    const other = await createLocalKms({ keyringPath, masterKey, clock, refreshIntervalMs: 5_000 });
    await rotator.rotation.createVersion();
    expect((await other.wrapKey(key, context)).kekVersion).toBe(2);
    clock.advance(5_000);
    expect((await other.wrapKey(key, context)).kekVersion).toBe(3);
  });

  it('retiring destroys the version: its wraps fail with a clear error everywhere, the file keeps no key for it', async () => {
    const masterKey = randomBytes(32);
    const clock = createFakeClock();
    const rotator = await createLocalKms({ keyringPath, masterKey, clock });
    const gateway = await createLocalKms({ keyringPath, masterKey, clock });
    const key = randomBytes(32);
    const old = await gateway.wrapKey(key, context);
    await expect(rotator.rotation.retireVersion(1)).rejects.toThrow(/current version.*rotate first/);
    await rotator.rotation.createVersion();
    await rotator.rotation.retireVersion(1);
    await rotator.rotation.retireVersion(1);

    await expect(rotator.unwrapKey(old, context)).rejects.toMatchObject({ code: 'KMS_UNAVAILABLE', message: expect.stringContaining('was retired') });
    // The gateway still holds version 1 in memory until it re-reads the keyring.
    await gateway.refresh();
    await expect(gateway.unwrapKey(old, context)).rejects.toMatchObject({ code: 'KMS_UNAVAILABLE', message: expect.stringContaining('was retired') });
    expect((await gateway.wrapKey(key, context)).kekVersion).toBe(2);

    const onDisk = openKeyring(await readFile(keyringPath), masterKey, keyringPath);
    expect(onDisk.versions.map((entry) => [entry.version, entry.state, 'key' in entry])).toEqual([[1, 'retired', false], [2, 'active', true]]);
    await expect(rotator.rotation.retireVersion(7)).rejects.toThrow(/no KEK version 7/);
  });

  it('two processes rotating at the same moment both get a version: the lock loses no change', async () => {
    const masterKey = randomBytes(32);
    const first = await createLocalKms({ keyringPath, masterKey });
    const second = await createLocalKms({ keyringPath, masterKey });
    const versions = await Promise.all([first.rotation.createVersion(), second.rotation.createVersion(), first.rotation.createVersion()]);
    expect(versions.sort()).toEqual([2, 3, 4]);
    expect((await second.rotation.listVersions()).map((entry) => entry.version)).toEqual([1, 2, 3, 4]);
    expect(await readdir(directory)).toEqual(['keyring.json']);
  });

  it('breaks a lock left by a process that died', async () => {
    const kms = await createLocalKms({ keyringPath, masterKey: randomBytes(32) });
    await writeFile(`${keyringPath}.lock`, JSON.stringify({ pid: 2 ** 22 + 12_345, at: new Date().toISOString() }));
    expect(await kms.rotation.createVersion()).toBe(2);
  });

  it('refuses to wrap when the keyring cannot be re-read, rather than wrap under a version that may be retired', async () => {
    const clock = createFakeClock();
    const kms = await createLocalKms({ keyringPath, masterKey: randomBytes(32), clock });
    await rm(keyringPath);
    clock.advance(5_000);
    await expect(kms.wrapKey(randomBytes(32), context)).rejects.toMatchObject({ code: 'KMS_UNAVAILABLE' });
  });
});
