import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { Handle } from 'pkcs11js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Clock } from '../../src/clock.js';
import type { WrapContext, WrappedKey } from '../../src/crypto/kms.js';
import { acquirePkcs11Module, openTokenSession } from '../../src/crypto/pkcs11-module.js';
import type { Pkcs11Module } from '../../src/crypto/pkcs11-module.js';
import { createPkcs11Kms } from '../../src/crypto/pkcs11-kms.js';
import type { Pkcs11Kms } from '../../src/crypto/pkcs11-kms.js';
import { repoRoot } from '../support/shared-fixtures.js';
import { noteSkippedWhen } from '../support/skip-notice.js';
import { childWrapContext } from './pkcs11-keys-process.js';
import { createSoftHsmTokens, isSoftHsmAvailable, missingSoftHsmMessage, SOFTHSM_MODULE, USER_PIN } from './softhsm-token.js';
import type { SoftHsmTokens } from './softhsm-token.js';

const context: WrapContext = { purpose: 'data-key', keyId: 'dk-1', contactId: 'contact-1' };
const TOKEN = 'rampart-rotation';
const REFRESH_INTERVAL_MS = 5_000;

noteSkippedWhen(!isSoftHsmAvailable, 'pkcs11 KEK rotation against SoftHSM2', missingSoftHsmMessage);

describe.skipIf(!isSoftHsmAvailable)('pkcs11 KEK rotation against SoftHSM2', () => {
  let tokens: SoftHsmTokens;
  const opened: Pkcs11Kms[] = [];

  beforeAll(() => {
    tokens = createSoftHsmTokens([TOKEN]);
  });
  afterEach(async () => {
    for (const kms of opened.splice(0)) await kms.close();
  });
  afterAll(() => tokens?.remove());

  /** A gateway's provider, on a clock the test moves, so no automatic look at the token happens unasked. */
  async function openKms(keyLabel: string, clock: Clock = createFakeClock()): Promise<Pkcs11Kms> {
    const kms = await createPkcs11Kms({ modulePath: SOFTHSM_MODULE, tokenLabel: TOKEN, keyLabel, pin: USER_PIN, clock, refreshIntervalMs: REFRESH_INTERVAL_MS });
    opened.push(kms);
    return kms;
  }

  /** How many objects on the token carry this label, seen from a session of its own (as an operator would look). */
  async function countObjectsLabelled(label: string): Promise<number> {
    const module = await acquirePkcs11Module(SOFTHSM_MODULE);
    const session = openTokenSession(module, TOKEN, USER_PIN);
    try {
      return findObjects(module, session, label).length;
    } finally {
      module.pkcs11.C_CloseSession(session);
      module.release();
    }
  }

  /** Another gateway's object for a version, generated at the same moment as ours, with the lowest possible id. */
  async function generateRacedObject(label: string): Promise<void> {
    const module = await acquirePkcs11Module(SOFTHSM_MODULE);
    const session = openTokenSession(module, TOKEN, USER_PIN);
    try {
      const { binding, pkcs11 } = module;
      pkcs11.C_GenerateKey(session, { mechanism: binding.CKM_AES_KEY_GEN }, [
        { type: binding.CKA_CLASS, value: binding.CKO_SECRET_KEY },
        { type: binding.CKA_KEY_TYPE, value: binding.CKK_AES },
        { type: binding.CKA_VALUE_LEN, value: 32 },
        { type: binding.CKA_LABEL, value: label },
        { type: binding.CKA_ID, value: Buffer.alloc(16) },
        { type: binding.CKA_TOKEN, value: true },
        { type: binding.CKA_PRIVATE, value: true },
        { type: binding.CKA_SENSITIVE, value: true },
        { type: binding.CKA_EXTRACTABLE, value: false },
        { type: binding.CKA_ENCRYPT, value: true },
        { type: binding.CKA_DECRYPT, value: true },
      ]);
    } finally {
      module.pkcs11.C_CloseSession(session);
      module.release();
    }
  }

  it('createVersion generates the next object: new wraps use it, old wraps still unwrap, both versions are listed', async () => {
    const kms = await openKms('create-kek');
    const oldKey = randomBytes(32);
    const oldWrap = await kms.wrapKey(oldKey, context);
    expect(await kms.rotation.createVersion()).toBe(2);
    expect(kms.currentVersion()).toBe(2);
    const newKey = randomBytes(32);
    const newWrap = await kms.wrapKey(newKey, context);
    expect(newWrap.kekVersion).toBe(2);
    expect(await kms.unwrapKey(oldWrap, context)).toEqual(oldKey);
    expect(await kms.unwrapKey(newWrap, context)).toEqual(newKey);
    expect(await kms.rotation.listVersions()).toEqual([
      { version: 1, state: 'active', createdAt: null },
      { version: 2, state: 'active', createdAt: null },
    ]);
    expect(await countObjectsLabelled('create-kek-v2')).toBe(1);
    // The token cannot move a wrap itself without the key passing through Rampart: rotation unwraps and wraps.
    expect(kms.rewrapKey).toBeUndefined();
  });

  it('moves a wrap to the new version by unwrapping and wrapping again', async () => {
    const kms = await openKms('rewrap-kek');
    const key = randomBytes(32);
    const oldWrap = await kms.wrapKey(key, context);
    await kms.rotation.createVersion();
    const moved = await kms.wrapKey(await kms.unwrapKey(oldWrap, context), context);
    expect(moved).toMatchObject({ provider: 'pkcs11', kekId: 'rewrap-kek', kekVersion: 2 });
    expect(await kms.unwrapKey(moved, context)).toEqual(key);
  });

  it('a second gateway on the token learns the new version when refreshed', async () => {
    const rotating = await openKms('refresh-kek');
    const gateway = await openKms('refresh-kek');
    await rotating.rotation.createVersion();
    // Until it looks at the token again, the other gateway still wraps under v1 (which still unwraps).
    expect(gateway.currentVersion()).toBe(1);
    expect((await gateway.wrapKey(randomBytes(32), context)).kekVersion).toBe(1);
    await gateway.refresh();
    expect(gateway.currentVersion()).toBe(2);
    expect((await gateway.wrapKey(randomBytes(32), context)).kekVersion).toBe(2);
  });

  it('a second gateway looks at the token again before a wrap once refreshIntervalMs has passed since it last looked', async () => {
    const clock = createFakeClock();
    const gateway = await openKms('interval-kek', clock);
    const rotating = await openKms('interval-kek');
    await rotating.rotation.createVersion();
    clock.advance(REFRESH_INTERVAL_MS - 1);
    expect((await gateway.wrapKey(randomBytes(32), context)).kekVersion).toBe(1);
    clock.advance(1);
    expect((await gateway.wrapKey(randomBytes(32), context)).kekVersion).toBe(2);
    expect(gateway.currentVersion()).toBe(2);
  });

  it('retireVersion refuses the current version and versions the token never had, and leaves them in place', async () => {
    const kms = await openKms('refuse-kek');
    await expect(kms.rotation.retireVersion(1)).rejects.toMatchObject({
      code: 'KMS_UNAVAILABLE',
      message: expect.stringContaining('refuse-kek-v1 is the current version on token "rampart-rotation"; rotate first'),
    });
    await kms.rotation.createVersion();
    await expect(kms.rotation.retireVersion(2)).rejects.toMatchObject({ code: 'KMS_UNAVAILABLE', message: expect.stringContaining('current version') });
    for (const unknown of [3, 0, 1.5]) {
      await expect(kms.rotation.retireVersion(unknown)).rejects.toMatchObject({ code: 'KMS_UNAVAILABLE', message: expect.stringContaining(`has no version ${unknown}`) });
    }
    expect(await countObjectsLabelled('refuse-kek-v1')).toBe(1);
    expect(await countObjectsLabelled('refuse-kek-v2')).toBe(1);
  });

  it('retiring destroys the version in the token: its wraps fail with KMS_UNAVAILABLE saying so, new wraps work', async () => {
    const kms = await openKms('retire-kek');
    const oldWrap = await kms.wrapKey(randomBytes(32), context);
    await kms.rotation.createVersion();
    await kms.rotation.retireVersion(1);
    expect(await countObjectsLabelled('retire-kek-v1')).toBe(0);
    expect(await countObjectsLabelled('retire-kek-v2')).toBe(1);
    await expect(kms.unwrapKey(oldWrap, context)).rejects.toMatchObject({
      code: 'KMS_UNAVAILABLE',
      message: expect.stringContaining('KEK version 1 (object retire-kek-v1) is not on token "rampart-rotation": it was retired'),
    });
    const key = randomBytes(32);
    const newWrap = await kms.wrapKey(key, context);
    expect(newWrap.kekVersion).toBe(2);
    expect(await kms.unwrapKey(newWrap, context)).toEqual(key);
    expect(await kms.rotation.listVersions()).toEqual([
      { version: 1, state: 'retired', createdAt: null },
      { version: 2, state: 'active', createdAt: null },
    ]);
    // Retiring again (a command re-run after a crash) finds nothing left to destroy.
    await expect(kms.rotation.retireVersion(1)).resolves.toBeUndefined();
  });

  it('retires every object of a version when two gateways raced to create it', async () => {
    const kms = await openKms('twin-kek');
    await kms.rotation.createVersion();
    const ownWrap = await kms.wrapKey(randomBytes(32), context);
    await generateRacedObject('twin-kek-v2');
    await kms.refresh();
    // New wraps converge on the object with the lowest id: the raced one.
    const racedWrap = await kms.wrapKey(randomBytes(32), context);
    expect(await countObjectsLabelled('twin-kek-v2')).toBe(2);
    await kms.rotation.createVersion();
    await kms.rotation.retireVersion(1);
    await kms.rotation.retireVersion(2);
    expect(await countObjectsLabelled('twin-kek-v2')).toBe(0);
    for (const wrap of [ownWrap, racedWrap]) {
      expect(wrap.kekVersion).toBe(2);
      await expect(kms.unwrapKey(wrap, context)).rejects.toMatchObject({ code: 'KMS_UNAVAILABLE', message: expect.stringContaining('it was retired') });
    }
  });

  it('a gateway whose version another gateway retired stops using the old handle: it wraps under the new version at once', async () => {
    const gateway = await openKms('handle-kek');
    const oldWrap = await gateway.wrapKey(randomBytes(32), context);
    const operator = await openKms('handle-kek');
    await operator.rotation.createVersion();
    await operator.rotation.retireVersion(1);
    // No refresh and no time has passed: the gateway still holds v1's handle, which now names nothing.
    expect(gateway.currentVersion()).toBe(1);
    const key = randomBytes(32);
    const wrapped = await gateway.wrapKey(key, context);
    expect(wrapped.kekVersion).toBe(2);
    expect(await operator.unwrapKey(wrapped, context)).toEqual(key);
    await expect(gateway.unwrapKey(oldWrap, context)).rejects.toMatchObject({
      code: 'KMS_UNAVAILABLE',
      message: expect.stringContaining('KEK version 1 (object handle-kek-v1) is not on token "rampart-rotation": it was retired'),
    });
  });

  it('follows a rotation and a retirement made by another process (as `rampart keys` is) on the same token', async () => {
    const gateway = await openKms('process-kek');
    const oldWrap = await gateway.wrapKey(randomBytes(32), context);
    const report = await runKeysProcess('process-kek', ['create-version', 'retire:1', 'wrap']);
    expect(report.created).toEqual([2]);
    expect(await countObjectsLabelled('process-kek-v1')).toBe(0);
    // A wrap the other process made under v2, which this gateway has not seen yet.
    const childWrap: WrappedKey = { provider: 'pkcs11', kekId: 'process-kek', kekVersion: report.wrapped.kekVersion, ciphertext: Buffer.from(report.wrapped.ciphertext, 'base64') };
    expect(childWrap.kekVersion).toBe(2);
    expect((await gateway.unwrapKey(childWrap, childWrapContext)).toString('hex')).toBe(report.wrapped.key);
    expect((await gateway.wrapKey(randomBytes(32), context)).kekVersion).toBe(2);
    await expect(gateway.unwrapKey(oldWrap, context)).rejects.toMatchObject({ code: 'KMS_UNAVAILABLE', message: expect.stringContaining('it was retired') });
  });

  it('a gateway that has not seen another process retire its version still wraps under the new one', async () => {
    const gateway = await openKms('stale-kek');
    await runKeysProcess('stale-kek', ['create-version', 'retire:1']);
    expect(gateway.currentVersion()).toBe(1);
    expect((await gateway.wrapKey(randomBytes(32), context)).kekVersion).toBe(2);
  });
});

function createFakeClock(): Clock & { advance(ms: number): void } {
  let now = 1_700_000_000_000;
  return { now: () => now, advance: (ms) => void (now += ms) };
}

function findObjects(module: Pkcs11Module, session: Handle, label: string): Handle[] {
  const { binding, pkcs11 } = module;
  pkcs11.C_FindObjectsInit(session, [{ type: binding.CKA_LABEL, value: label }]);
  const found = pkcs11.C_FindObjects(session, 16);
  pkcs11.C_FindObjectsFinal(session);
  return found;
}

interface KeysProcessReport {
  created: number[];
  wrapped: { key: string; kekVersion: number; ciphertext: string };
}

/** Runs test/kms/pkcs11-keys-process.ts in its own process, on the token this process's SOFTHSM2_CONF selects. */
function runKeysProcess(keyLabel: string, steps: string[]): Promise<KeysProcessReport> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/kms/pkcs11-keys-process.ts', TOKEN, keyLabel, ...steps], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH ?? '', SOFTHSM2_CONF: process.env.SOFTHSM2_CONF ?? '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code === 0) resolve(JSON.parse(stdout) as KeysProcessReport);
      else reject(new Error(`pkcs11-keys-process exited with ${String(code)}: ${stderr}`));
    });
  });
}
