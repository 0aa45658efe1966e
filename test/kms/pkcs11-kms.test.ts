import { randomBytes } from 'node:crypto';
import type { Handle } from 'pkcs11js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { KmsProvider, WrapContext } from '../../src/crypto/kms.js';
import { createLocalKms } from '../../src/crypto/local-kms.js';
import { acquirePkcs11Module, openTokenSession } from '../../src/crypto/pkcs11-module.js';
import type { Pkcs11Module } from '../../src/crypto/pkcs11-module.js';
import { createPkcs11Kms } from '../../src/crypto/pkcs11-kms.js';
import type { Pkcs11Kms, Pkcs11KmsOptions } from '../../src/crypto/pkcs11-kms.js';
import { makeDataDir } from '../support/databases.js';
import { noteSkippedWhen } from '../support/skip-notice.js';
import { createSoftHsmTokens, isSoftHsmAvailable, missingSoftHsmMessage, SOFTHSM_MODULE, USER_PIN } from './softhsm-token.js';
import type { SoftHsmTokens } from './softhsm-token.js';

const context: WrapContext = { purpose: 'data-key', keyId: 'dk-1', contactId: 'contact-1' };
const TOKEN = 'rampart';
const OTHER_TOKEN = 'rampart-other';

noteSkippedWhen(!isSoftHsmAvailable, 'pkcs11 KMS against SoftHSM2', missingSoftHsmMessage);

describe.skipIf(!isSoftHsmAvailable)('pkcs11 KMS against SoftHSM2', () => {
  let tokens: SoftHsmTokens;
  const opened: KmsProvider[] = [];

  beforeAll(() => {
    tokens = createSoftHsmTokens([TOKEN, OTHER_TOKEN]);
  });
  afterEach(async () => {
    for (const kms of opened.splice(0)) await kms.close();
  });
  afterAll(() => tokens?.remove());

  async function openKms(overrides: Partial<Pkcs11KmsOptions> = {}): Promise<Pkcs11Kms> {
    const kms = await createPkcs11Kms({ modulePath: SOFTHSM_MODULE, tokenLabel: TOKEN, keyLabel: 'rampart-kek', pin: USER_PIN, ...overrides });
    opened.push(kms);
    return kms;
  }

  /** A raw session on the token, as an attacker with the PIN (or an operator) would have. */
  async function withRawSession<T>(work: (module: Pkcs11Module, session: Handle) => T): Promise<T> {
    const module = await acquirePkcs11Module(SOFTHSM_MODULE);
    const session = openTokenSession(module, TOKEN, USER_PIN);
    try {
      return work(module, session);
    } finally {
      module.pkcs11.C_CloseSession(session);
      module.release();
    }
  }

  function findObjects(module: Pkcs11Module, session: Handle, label: string): Handle[] {
    const { binding, pkcs11 } = module;
    pkcs11.C_FindObjectsInit(session, [{ type: binding.CKA_LABEL, value: label }]);
    const found = pkcs11.C_FindObjects(session, 16);
    pkcs11.C_FindObjectsFinal(session);
    return found;
  }

  it('generates its KEK in the token on first use and wraps and unwraps a key inside it', async () => {
    const kms = await openKms({ keyLabel: 'first-use-kek' });
    expect(kms).toMatchObject({ provider: 'pkcs11', kekId: 'first-use-kek' });
    expect(kms.currentVersion()).toBe(1);
    const key = randomBytes(32);
    const wrapped = await kms.wrapKey(key, context);
    expect(wrapped).toMatchObject({ provider: 'pkcs11', kekId: 'first-use-kek', kekVersion: 1 });
    expect(wrapped.ciphertext).toHaveLength(1 + 12 + 32 + 16);
    expect(wrapped.ciphertext.includes(key)).toBe(false);
    expect(await kms.unwrapKey(wrapped, context)).toEqual(key);
    expect(await withRawSession((module, session) => findObjects(module, session, 'first-use-kek-v1'))).toHaveLength(1);
  });

  it('finds the same KEK after a restart instead of generating another', async () => {
    const first = await openKms({ keyLabel: 'restart-kek' });
    const key = randomBytes(32);
    const wrapped = await first.wrapKey(key, context);
    await first.close();
    const second = await openKms({ keyLabel: 'restart-kek' });
    expect(await second.unwrapKey(wrapped, context)).toEqual(key);
    expect(await withRawSession((module, session) => findObjects(module, session, 'restart-kek-v1'))).toHaveLength(1);
  });

  it('keeps the KEK inside the token: not extractable, its value unreadable, C_WrapKey refused', async () => {
    await openKms({ keyLabel: 'sealed-kek' });
    await withRawSession((module, session) => {
      const { binding, pkcs11 } = module;
      const [kek] = findObjects(module, session, 'sealed-kek-v1');
      if (!kek) throw new Error('the KEK object is missing');
      const flags = [binding.CKA_EXTRACTABLE, binding.CKA_NEVER_EXTRACTABLE, binding.CKA_SENSITIVE, binding.CKA_ALWAYS_SENSITIVE, binding.CKA_TOKEN, binding.CKA_DERIVE, binding.CKA_WRAP];
      const values = pkcs11.C_GetAttributeValue(session, kek, flags.map((type) => ({ type }))).map((attribute) => attribute.value[0]);
      expect(values).toEqual([0, 1, 1, 1, 1, 0, 0]);
      expect(() => pkcs11.C_GetAttributeValue(session, kek, [{ type: binding.CKA_VALUE }])).toThrow(/CKR_ATTRIBUTE_SENSITIVE/);
      const wrappingKey = pkcs11.C_GenerateKey(session, { mechanism: binding.CKM_AES_KEY_GEN }, [
        { type: binding.CKA_CLASS, value: binding.CKO_SECRET_KEY },
        { type: binding.CKA_TOKEN, value: false },
        { type: binding.CKA_WRAP, value: true },
        { type: binding.CKA_VALUE_LEN, value: 32 },
      ]);
      expect(() => pkcs11.C_WrapKey(session, { mechanism: binding.CKM_AES_KEY_WRAP_PAD }, wrappingKey, kek, Buffer.alloc(256))).toThrow(/CKR_KEY_UNEXTRACTABLE/);
      expect(() => pkcs11.C_SetAttributeValue(session, kek, [{ type: binding.CKA_EXTRACTABLE, value: true }])).toThrow(/CKR_/);
    });
  });

  it('refuses to unwrap for another purpose, key id or contact', async () => {
    const kms = await openKms();
    const wrapped = await kms.wrapKey(randomBytes(32), context);
    for (const other of [{ ...context, purpose: 'index-key' as const }, { ...context, keyId: 'dk-2' }, { ...context, contactId: 'contact-2' }, { ...context, contactId: '' }]) {
      await expect(kms.unwrapKey(wrapped, other)).rejects.toMatchObject({ code: 'DECRYPT_FAILED', message: expect.stringContaining('wrong key context, or tampered') });
    }
  });

  it('refuses a wrapped key with any byte changed, or truncated', async () => {
    const kms = await openKms();
    const wrapped = await kms.wrapKey(randomBytes(32), context);
    for (let byte = 0; byte < wrapped.ciphertext.length; byte += 1) {
      const tampered = Buffer.from(wrapped.ciphertext);
      tampered[byte] = (tampered[byte] ?? 0) ^ 0x01;
      await expect(kms.unwrapKey({ ...wrapped, ciphertext: tampered }, context)).rejects.toMatchObject({ code: 'DECRYPT_FAILED' });
    }
    await expect(kms.unwrapKey({ ...wrapped, ciphertext: wrapped.ciphertext.subarray(0, 40) }, context)).rejects.toMatchObject({ code: 'DECRYPT_FAILED' });
    // The token answered every failure without losing the session.
    await expect(kms.unwrapKey(wrapped, context)).resolves.toHaveLength(32);
  });

  it('rotates by generating a new object: new wraps use v2, v1 wraps stay readable, other processes follow', async () => {
    const kms = await openKms({ keyLabel: 'rotating-kek' });
    const sameTokenElsewhere = await openKms({ keyLabel: 'rotating-kek' });
    const oldKey = randomBytes(32);
    const oldWrap = await kms.wrapKey(oldKey, context);
    expect(await kms.rotation.createVersion()).toBe(2);
    expect(kms.currentVersion()).toBe(2);
    const newKey = randomBytes(32);
    const newWrap = await kms.wrapKey(newKey, context);
    expect(newWrap.kekVersion).toBe(2);
    expect(await kms.unwrapKey(oldWrap, context)).toEqual(oldKey);
    expect(await kms.unwrapKey(newWrap, context)).toEqual(newKey);
    // Opened before the rotation: it finds v2 on the token when it first meets a v2 wrap.
    expect(await sameTokenElsewhere.unwrapKey(newWrap, context)).toEqual(newKey);
    expect(sameTokenElsewhere.currentVersion()).toBe(2);
    expect(await withRawSession((module, session) => findObjects(module, session, 'rotating-kek-v2'))).toHaveLength(1);
  });

  it('reads wraps under either object when two gateways created the same version at once', async () => {
    const kms = await openKms({ keyLabel: 'raced-kek' });
    const key = randomBytes(32);
    const wrapped = await kms.wrapKey(key, context);
    // Another gateway's v1, with a lower id, so gateways that open from now on wrap with it.
    await withRawSession((module, session) => {
      const { binding, pkcs11 } = module;
      pkcs11.C_GenerateKey(session, { mechanism: binding.CKM_AES_KEY_GEN }, [
        { type: binding.CKA_CLASS, value: binding.CKO_SECRET_KEY },
        { type: binding.CKA_KEY_TYPE, value: binding.CKK_AES },
        { type: binding.CKA_VALUE_LEN, value: 32 },
        { type: binding.CKA_LABEL, value: 'raced-kek-v1' },
        { type: binding.CKA_ID, value: Buffer.alloc(16) },
        { type: binding.CKA_TOKEN, value: true },
        { type: binding.CKA_PRIVATE, value: true },
        { type: binding.CKA_SENSITIVE, value: true },
        { type: binding.CKA_EXTRACTABLE, value: false },
        { type: binding.CKA_ENCRYPT, value: true },
        { type: binding.CKA_DECRYPT, value: true },
      ]);
    });
    const other = await openKms({ keyLabel: 'raced-kek' });
    const otherKey = randomBytes(32);
    const otherWrap = await other.wrapKey(otherKey, context);
    expect(await other.unwrapKey(wrapped, context)).toEqual(key);
    expect(await kms.unwrapKey(otherWrap, context)).toEqual(otherKey);
  });

  it('serialises concurrent calls on its one session', async () => {
    const kms = await openKms();
    const keys = Array.from({ length: 40 }, () => randomBytes(32));
    const unwrapped = await Promise.all(keys.map(async (key, index) => kms.unwrapKey(await kms.wrapKey(key, { ...context, keyId: `dk-${index}` }), { ...context, keyId: `dk-${index}` })));
    expect(unwrapped).toEqual(keys);
  });

  it('opens a new session when the token drops its sessions, and carries on', async () => {
    const kms = await openKms();
    const key = randomBytes(32);
    const wrapped = await kms.wrapKey(key, context);
    const module = await acquirePkcs11Module(SOFTHSM_MODULE);
    try {
      const session = openTokenSession(module, TOKEN, USER_PIN);
      // As after an HSM restart: every session of this application on the token ends, and the login with them.
      module.pkcs11.C_CloseAllSessions(module.pkcs11.C_GetSessionInfo(session).slotID);
    } finally {
      module.release();
    }
    expect(await kms.unwrapKey(wrapped, context)).toEqual(key);
    expect(await kms.unwrapKey(await kms.wrapKey(key, context), context)).toEqual(key);
  });

  it('refuses a key object with that label that could leave the token', async () => {
    await withRawSession((module, session) => {
      const { binding, pkcs11 } = module;
      pkcs11.C_GenerateKey(session, { mechanism: binding.CKM_AES_KEY_GEN }, [
        { type: binding.CKA_CLASS, value: binding.CKO_SECRET_KEY },
        { type: binding.CKA_KEY_TYPE, value: binding.CKK_AES },
        { type: binding.CKA_VALUE_LEN, value: 32 },
        { type: binding.CKA_LABEL, value: 'exportable-kek-v1' },
        { type: binding.CKA_TOKEN, value: true },
        { type: binding.CKA_SENSITIVE, value: false },
        { type: binding.CKA_EXTRACTABLE, value: true },
        { type: binding.CKA_ENCRYPT, value: true },
        { type: binding.CKA_DECRYPT, value: true },
      ]);
    });
    await expect(openKms({ keyLabel: 'exportable-kek' })).rejects.toMatchObject({
      code: 'KMS_UNAVAILABLE',
      message: expect.stringMatching(/exportable-kek-v1 does not have CKA_EXTRACTABLE false.*generated in the token/),
    });
  });

  it('ignores a public key object planted under the next version label: anyone could have made and used it', async () => {
    const kms = await openKms({ keyLabel: 'planted-kek' });
    expect(kms.currentVersion()).toBe(1);
    await withRawSession((module, session) => {
      const { binding, pkcs11 } = module;
      pkcs11.C_GenerateKey(session, { mechanism: binding.CKM_AES_KEY_GEN }, [
        { type: binding.CKA_CLASS, value: binding.CKO_SECRET_KEY },
        { type: binding.CKA_KEY_TYPE, value: binding.CKK_AES },
        { type: binding.CKA_VALUE_LEN, value: 32 },
        { type: binding.CKA_LABEL, value: 'planted-kek-v2' },
        { type: binding.CKA_TOKEN, value: true },
        { type: binding.CKA_PRIVATE, value: false },
        { type: binding.CKA_SENSITIVE, value: true },
        { type: binding.CKA_EXTRACTABLE, value: false },
        { type: binding.CKA_ENCRYPT, value: true },
        { type: binding.CKA_DECRYPT, value: true },
      ]);
    });
    const restarted = await openKms({ keyLabel: 'planted-kek' });
    expect(restarted.currentVersion()).toBe(1);
    expect((await restarted.wrapKey(randomBytes(32), context)).kekVersion).toBe(1);
  });

  it('names a wrong PIN without quoting it, and leaves the token usable', async () => {
    const wrongPin = '999999';
    const failure = await openKms({ pin: wrongPin }).catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: 'KMS_UNAVAILABLE', message: expect.stringContaining('refused RAMPART_PKCS11_PIN (CKR_PIN_INCORRECT)') });
    expect(String((failure as Error).message)).not.toContain(wrongPin);
    await expect(openKms()).resolves.toBeDefined();
  });

  it('names a missing token and the tokens that are there', async () => {
    await expect(openKms({ tokenLabel: 'no-such-token' })).rejects.toMatchObject({
      code: 'KMS_UNAVAILABLE',
      message: expect.stringMatching(/No token labelled "no-such-token".*"rampart".*check slot-label/),
    });
  });

  it('names a PKCS#11 library that cannot be loaded', async () => {
    await expect(openKms({ modulePath: '/nonexistent/libpkcs11.so' })).rejects.toMatchObject({
      code: 'KMS_UNAVAILABLE',
      message: expect.stringContaining('/nonexistent/libpkcs11.so could not be loaded'),
    });
  });

  it('keeps KEKs of different tokens apart: a wrap from one does not open on the other', async () => {
    const here = await openKms({ keyLabel: 'shared-label' });
    const there = await openKms({ tokenLabel: OTHER_TOKEN, keyLabel: 'shared-label' });
    const wrapped = await here.wrapKey(randomBytes(32), context);
    await expect(there.unwrapKey(wrapped, context)).rejects.toMatchObject({ code: 'DECRYPT_FAILED' });
  });

  it('answers an unknown version, another KEK or another provider with KMS_UNAVAILABLE naming both sides', async () => {
    const kms = await openKms();
    const wrapped = await kms.wrapKey(randomBytes(32), context);
    await expect(kms.unwrapKey({ ...wrapped, kekVersion: 7 }, context)).rejects.toMatchObject({
      code: 'KMS_UNAVAILABLE',
      message: expect.stringContaining('KEK version 7 (object rampart-kek-v7) is not on token "rampart"'),
    });
    await expect(kms.unwrapKey({ ...wrapped, kekId: 'other-kek' }, context)).rejects.toMatchObject({
      code: 'KMS_UNAVAILABLE',
      message: expect.stringMatching(/KEK other-kek of the "pkcs11" provider, but RAMPART_KMS selects KEK rampart-kek/),
    });
    const dataDir = makeDataDir('rampart-kms-local-');
    const local = await createLocalKms({ keyringPath: `${dataDir}/keyring.json`, masterKey: randomBytes(32) });
    opened.push(local);
    const localWrap = await local.wrapKey(randomBytes(32), context);
    await expect(kms.unwrapKey(localWrap, context)).rejects.toMatchObject({
      code: 'KMS_UNAVAILABLE',
      message: expect.stringMatching(/wrapped by the "local" KMS provider, but RAMPART_KMS selects the "pkcs11" provider/),
    });
    await expect(local.unwrapKey(wrapped, context)).rejects.toMatchObject({
      code: 'KMS_UNAVAILABLE',
      message: expect.stringMatching(/wrapped by the "pkcs11" KMS provider, but RAMPART_KMS selects the "local" provider/),
    });
  });

  it('refuses every call after close', async () => {
    const kms = await openKms();
    const wrapped = await kms.wrapKey(randomBytes(32), context);
    await kms.close();
    await expect(kms.wrapKey(randomBytes(32), context)).rejects.toMatchObject({ code: 'KMS_UNAVAILABLE' });
    await expect(kms.unwrapKey(wrapped, context)).rejects.toMatchObject({ code: 'KMS_UNAVAILABLE' });
    expect(() => kms.currentVersion()).toThrow(expect.objectContaining({ code: 'KMS_UNAVAILABLE' }));
  });
});
