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
    const secrets = [masterKey, ...keyring.versions.map((entry) => entry.key)];
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
