import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { signCheckpointWithKey } from '../../src/audit/audit-checkpointer.js';
import { rotateAuditSigningKey } from '../../src/audit/audit-key-rotation.js';
import type { RotatedAuditKey } from '../../src/audit/audit-key-rotation.js';
import { readAuditHead } from '../../src/audit/audit-repository.js';
import { createVerificationMonitor } from '../../src/audit/audit-routes/verification-monitor.js';
import { listSigningKeys } from '../../src/audit/audit-signing-keys.js';
import { verifyAuditLog } from '../../src/audit/audit-verifier.js';
import type { AuditVerdict } from '../../src/audit/audit-verifier.js';
import { signCheckpoint, verifyCheckpoint } from '../../src/audit/checkpoint.js';
import { computeFrontierRoot } from '../../src/audit/merkle-tree.js';
import { createNoteSigner, parseNoteVerifierKey } from '../../src/audit/signed-note.js';
import type { NoteSigner } from '../../src/audit/signed-note.js';
import type { Db } from '../../src/db/database.js';
import { dialects, missingPostgresMessage, postgresUrl } from '../support/databases.js';
import { noteSkippedWhen } from '../support/skip-notice.js';
import type { AuditFixture } from './support/audit-fixture.js';
import { conversationRead, createTestClock, openAuditLog, silentLogger, useAuditDatabase } from './support/audit-fixture.js';

noteSkippedWhen(postgresUrl === undefined, 'audit signing key rotation on postgres', missingPostgresMessage);

/** The checkpoints' sizes and the key versions their rows name, in order. */
async function listCheckpointKeys(db: Db): Promise<{ size: number; version: number | null }[]> {
  const rows = await db.selectFrom('audit_checkpoints').select(['tree_size', 'signing_key_version']).orderBy('tree_size').execute();
  return rows.map((row) => ({ size: Number(row.tree_size), version: row.signing_key_version === null ? null : Number(row.signing_key_version) }));
}

/** What someone holding `signer` writes: a checkpoint of the tree as it stands, its row naming `version`. */
async function insertForgedCheckpoint(db: Db, signer: NoteSigner, version: number): Promise<number> {
  const head = await readAuditHead(db);
  const rootHash = computeFrontierRoot(head.frontier);
  const note = signCheckpoint({ origin: signer.keyName, size: head.size, rootHash }, [signer]);
  await db.insertInto('audit_checkpoints').values({ tree_size: head.size, root_hash: rootHash, note, created_at: Date.now(), signing_key_version: version }).execute();
  return head.size;
}

/** Replaces a checkpoint's note with the same size and root signed by `signer`. */
async function resignCheckpoint(db: Db, signer: NoteSigner, size: number): Promise<void> {
  const row = await db.selectFrom('audit_checkpoints').selectAll().where('tree_size', '=', size).executeTakeFirstOrThrow();
  const note = signCheckpoint({ origin: signer.keyName, size, rootHash: row.root_hash }, [signer]);
  await db.updateTable('audit_checkpoints').set({ note }).where('tree_size', '=', size).execute();
}

function describeVerdict(verdict: AuditVerdict) {
  return verdict.isIntact ? { isIntact: true } : { isIntact: false, reason: verdict.reason, checkpointSize: verdict.checkpointSize };
}

const keyLabel = (signer: NoteSigner) => `${signer.keyName}+${signer.keyId}`;

for (const dialect of dialects) {
  describe.skipIf(!dialect.isAvailable)(`audit signing key rotation on ${dialect.name}`, () => {
    const suiteDatabase = useAuditDatabase(dialect);
    const fixtures: AuditFixture[] = [];
    afterEach(async () => {
      for (const fixture of fixtures.splice(0).reverse()) await fixture.close();
    });

    /** A gateway (or the CLI): its own connection and KMS handle on the suite's database and keyring. */
    async function open(): Promise<AuditFixture> {
      const fixture = await openAuditLog(suiteDatabase(), { clock: createTestClock() });
      fixtures.push(fixture);
      return fixture;
    }

    async function rotate(by: AuditFixture): Promise<RotatedAuditKey> {
      return rotateAuditSigningKey({ db: by.database.db, dialect: by.database.dialect, kms: by.kms, signer: by.signer, clock: createTestClock() });
    }

    async function append(fixture: AuditFixture, count: number): Promise<void> {
      for (let index = 0; index < count; index += 1) await fixture.log.append(conversationRead({ details: { messages: index } }));
    }

    /** 6 entries, checkpoint 6 and 9 under version 1; the rotation (entry 9) signs 10 under version 2; then checkpoint 14. */
    async function buildRotatedLog() {
      const gateway = await open();
      const oldSigner = gateway.noteSigner();
      await append(gateway, 6);
      await gateway.log.signCheckpoint();
      await append(gateway, 3);
      await gateway.log.signCheckpoint();
      const rotated = await rotate(gateway);
      await append(gateway, 4);
      await gateway.log.signCheckpoint();
      return { gateway, db: gateway.database.db, oldSigner, newSigner: gateway.noteSigner(), rotated };
    }

    it('signs with the new key from the rotation on, and checkpoints under both keys verify with both pinned', async () => {
      const { db, oldSigner, newSigner, rotated } = await buildRotatedLog();
      expect(rotated).toMatchObject({ retired: { version: 1, verifierKey: oldSigner.verifierKey }, current: { version: 2, verifierKey: newSigner.verifierKey }, checkpoint: { treeSize: 10, signingKeyVersion: 2 } });
      expect(newSigner.verifierKey).not.toBe(oldSigner.verifierKey);
      // One log, one key name: the versions differ in the key hash the signature line carries.
      expect(newSigner.keyName).toBe(oldSigner.keyName);
      expect(await listCheckpointKeys(db)).toEqual([
        { size: 6, version: 1 },
        { size: 9, version: 1 },
        { size: 10, version: 2 },
        { size: 14, version: 2 },
      ]);
      const [rotationEntry] = await db.selectFrom('audit_entries').selectAll().where('seq', '=', 9).execute();
      expect(rotationEntry).toMatchObject({ action: 'audit.signing-key.rotated', resource_id: 'v2', details: '{"previousVersion":1,"version":2}' });
      expect((await listSigningKeys(db)).map(({ version, verifierKey, retiredAtTreeSize }) => ({ version, verifierKey, retiredAtTreeSize }))).toEqual([
        { version: 1, verifierKey: oldSigner.verifierKey, retiredAtTreeSize: 10 },
        { version: 2, verifierKey: newSigner.verifierKey, retiredAtTreeSize: null },
      ]);
      expect((await readAuditHead(db)).verifierKey).toBe(newSigner.verifierKey);

      // Each checkpoint's note verifies under the key its row names, and not under the other one.
      for (const row of await db.selectFrom('audit_checkpoints').selectAll().execute()) {
        const [own, other] = row.signing_key_version === 1 ? [oldSigner, newSigner] : [newSigner, oldSigner];
        expect(verifyCheckpoint(row.note, { origin: own.keyName, verifierKey: parseNoteVerifierKey(own.verifierKey) }).isValid).toBe(true);
        expect(verifyCheckpoint(row.note, { origin: other.keyName, verifierKey: parseNoteVerifierKey(other.verifierKey) }).isValid).toBe(false);
      }

      const pinned = await verifyAuditLog(db, { verifierKeys: [oldSigner.verifierKey, newSigner.verifierKey] });
      expect(pinned).toMatchObject({ isIntact: true, entriesChecked: 14, checkpointsChecked: 4, trustedKeys: { source: 'given' } });
      expect(pinned.isIntact && pinned.latestCheckpoint).toMatchObject({ treeSize: 14, signingKeyVersion: 2 });
      expect(await verifyAuditLog(db)).toMatchObject({
        isIntact: true,
        checkpointsChecked: 4,
        trustedKeys: { source: 'database', verifierKeys: [oldSigner.verifierKey, newSigner.verifierKey] },
      });
    });

    it('reports the old checkpoints as not trusted when only the new key is pinned, and the new ones when only the old is', async () => {
      const { db, oldSigner, newSigner } = await buildRotatedLog();
      const onlyNew = await verifyAuditLog(db, { verifierKeys: [newSigner.verifierKey] });
      expect(describeVerdict(onlyNew)).toEqual({ isIntact: false, reason: 'checkpoint-key-untrusted', checkpointSize: 6 });
      expect(onlyNew.isIntact ? '' : onlyNew.detail).toContain(`${keyLabel(oldSigner)} (signing key version 1 in the database), which was not given with --verifier-key`);

      const onlyOld = await verifyAuditLog(db, { verifierKeys: [oldSigner.verifierKey] });
      expect(describeVerdict(onlyOld)).toEqual({ isIntact: false, reason: 'checkpoint-key-untrusted', checkpointSize: 10 });
      expect(onlyOld.isIntact ? '' : onlyOld.detail).toContain(`${keyLabel(newSigner)} (signing key version 2 in the database)`);
    });

    it('names a forged checkpoint under a made-up key, whether the keys are pinned or read from the database', async () => {
      const { gateway, db, oldSigner, newSigner } = await buildRotatedLog();
      await append(gateway, 2);
      const forger = createNoteSigner({ keyName: newSigner.keyName, privateKey: randomBytes(32) });
      const forgedSize = await insertForgedCheckpoint(db, forger, 2);

      const unpinned = await verifyAuditLog(db);
      expect(describeVerdict(unpinned)).toEqual({ isIntact: false, reason: 'checkpoint-key-untrusted', checkpointSize: forgedSize });
      expect(unpinned.isIntact ? '' : unpinned.detail).toContain(`${keyLabel(forger)}, which the database does not list as a signing key`);
      const pinned = await verifyAuditLog(db, { verifierKeys: [oldSigner.verifierKey, newSigner.verifierKey] });
      expect(describeVerdict(pinned)).toEqual({ isIntact: false, reason: 'checkpoint-key-untrusted', checkpointSize: forgedSize });
      expect(pinned.isIntact ? '' : pinned.detail).toContain(`${keyLabel(forger)}, which was neither given nor is listed in the database`);
    });

    it('reports a checkpoint signed by the retired key after its rotation, even when the key table is rewritten to hide the retirement', async () => {
      const { gateway, db, oldSigner, newSigner } = await buildRotatedLog();
      const pinnedBoth = { verifierKeys: [oldSigner.verifierKey, newSigner.verifierKey] };
      await append(gateway, 2);
      // Someone who kept (or stole) the old private key signs the log's newest state with it.
      const lateSize = await insertForgedCheckpoint(db, oldSigner, 1);
      for (const verdict of [await verifyAuditLog(db), await verifyAuditLog(db, pinnedBoth)]) {
        expect(describeVerdict(verdict)).toEqual({ isIntact: false, reason: 'checkpoint-key-retired', checkpointSize: lateSize });
        expect(verdict.isIntact ? '' : verdict.detail).toContain('retired when its successor signed tree size 10');
      }

      // Erasing when it was retired does not help: key version 2 already took over at checkpoint 10.
      await db.updateTable('audit_signing_keys').set({ retired_at_tree_size: null }).where('version', '=', 1).execute();
      const rewritten = await verifyAuditLog(db, pinnedBoth);
      expect(describeVerdict(rewritten)).toEqual({ isIntact: false, reason: 'checkpoint-key-retired', checkpointSize: lateSize });
      expect(rewritten.isIntact ? '' : rewritten.detail).toContain('had already handed over to another key');
    });

    it('refuses a checkpoint row that names another version than the key that signed its note', async () => {
      const { db } = await buildRotatedLog();
      await db.updateTable('audit_checkpoints').set({ signing_key_version: 2 }).where('tree_size', '=', 9).execute();
      const verdict = await verifyAuditLog(db);
      expect(describeVerdict(verdict)).toEqual({ isIntact: false, reason: 'checkpoint-row-mismatch', checkpointSize: 9 });
      expect(verdict.isIntact ? '' : verdict.detail).toContain('names signing key version 2, but its note is signed by key version 1');
    });

    it('lets a gateway that still holds the retired key store nothing once the rotation committed, and switch at its next checkpoint', async () => {
      const gateway = await open();
      const cli = await open();
      const retired = gateway.signer.current();
      await append(gateway, 3);
      await gateway.log.signCheckpoint();
      const rotated = await rotate(cli);
      await append(gateway, 2);

      // The gateway has not looked since: signing with the key it holds is refused at the insert.
      expect(await signCheckpointWithKey({ db: gateway.database.db, dialect: gateway.database.dialect, signer: gateway.signer, clock: createTestClock() }, retired)).toEqual({ status: 'key-retired' });
      expect(await listCheckpointKeys(gateway.database.db)).toEqual([
        { size: 3, version: 1 },
        { size: 4, version: 2 },
      ]);
      expect(gateway.log.verifierKey).toBe(retired.signer.verifierKey);
      expect(await gateway.log.signCheckpoint()).toMatchObject({ treeSize: 6, signingKeyVersion: 2 });
      expect(gateway.log.verifierKey).toBe(rotated.current.verifierKey);
      expect(await verifyAuditLog(gateway.database.db, { verifierKeys: [rotated.retired.verifierKey, rotated.current.verifierKey] })).toMatchObject({ isIntact: true, checkpointsChecked: 3 });
    });

    it('has two running gateways sign their next checkpoint with the new key, within one interval, without a restart', async () => {
      const first = await open();
      const second = await open();
      const intervalMs = 300;
      first.log.startCheckpointer({ intervalMs });
      second.log.startCheckpointer({ intervalMs });
      await append(first, 3);
      await vi.waitFor(async () => expect(await listCheckpointKeys(first.database.db)).toEqual([{ size: 3, version: 1 }]), { timeout: intervalMs * 5, interval: 20 });

      const rotated = await rotate(await open());
      const rotatedAt = Date.now();
      await append(second, 2);
      await append(first, 2);
      await vi.waitFor(async () => expect((await listCheckpointKeys(first.database.db)).at(-1)).toEqual({ size: 8, version: 2 }), { timeout: intervalMs * 5, interval: 20 });
      expect(Date.now() - rotatedAt).toBeLessThan(intervalMs * 3);
      // Nothing after the rotation was signed by the retired key, by either gateway.
      expect((await listCheckpointKeys(first.database.db)).filter(({ size }) => size > 3)).toEqual(expect.not.arrayContaining([expect.objectContaining({ version: 1 })]));
      // Each gateway has switched by its next tick, whether or not it had anything to sign.
      await vi.waitFor(() => expect([first.log.verifierKey, second.log.verifierKey]).toEqual([rotated.current.verifierKey, rotated.current.verifierKey]), { timeout: intervalMs * 3, interval: 20 });
      expect(await verifyAuditLog(first.database.db, { verifierKeys: [rotated.retired.verifierKey, rotated.current.verifierKey] })).toMatchObject({ isIntact: true, entriesChecked: 8 });
    });

    it('rotates from the version current when it runs, even for a process that has not looked since an earlier rotation', async () => {
      const first = await open();
      const stale = await open();
      await append(first, 2);
      await first.log.signCheckpoint();
      await rotate(first);
      expect(stale.signer.current().version).toBe(1);
      expect((await rotate(stale)).retired.version).toBe(2);
      expect((await listSigningKeys(first.database.db)).map(({ version, retiredAtTreeSize }) => ({ version, retiredAtTreeSize }))).toEqual([
        { version: 1, retiredAtTreeSize: 3 },
        { version: 2, retiredAtTreeSize: 4 },
        { version: 3, retiredAtTreeSize: null },
      ]);
      expect(await verifyAuditLog(first.database.db, { verifierKeys: await first.signer.listVerifierKeys() })).toMatchObject({ isIntact: true, checkpointsChecked: 3 });
    });

    // Two rotations in one process on SQLite would wait for each other's write lock synchronously; separate processes do not.
    it.skipIf(dialect.name !== 'postgres')('lets exactly one of two rotations that start together win (PostgreSQL: two connections at once)', async () => {
      const first = await open();
      const second = await open();
      await append(first, 2);
      await first.log.signCheckpoint();
      const results = await Promise.allSettled([rotate(first), rotate(second)]);
      expect(results.map((result) => result.status).sort()).toEqual(['fulfilled', 'rejected']);
      const refused = results.find((result) => result.status === 'rejected');
      expect(refused?.reason).toMatchObject({ code: 'KEY_ROTATION_REFUSED', message: expect.stringContaining('rotated meanwhile (to version 2)') });
      expect((await listSigningKeys(first.database.db)).map(({ version }) => version)).toEqual([1, 2]);
      expect(await verifyAuditLog(first.database.db)).toMatchObject({ isIntact: true, checkpointsChecked: 2 });
    });

    it('has the verification monitor trust every version the KMS unwraps, so a key swapped in the database after a rotation is caught', async () => {
      const { gateway, db } = await buildRotatedLog();
      const monitor = createVerificationMonitor({ db, audit: gateway.log, clock: createTestClock(), logger: silentLogger });
      monitor.start({ kind: 'automatic' });
      await monitor.settle(10_000);
      expect(monitor.describe()).toMatchObject({ state: 'intact' });

      // A database writer replaces the current key with their own and re-signs the checkpoints it signed.
      const forger = createNoteSigner({ keyName: gateway.signer.origin, privateKey: randomBytes(32) });
      await db.updateTable('audit_signing_keys').set({ verifier_key: forger.verifierKey }).where('version', '=', 2).execute();
      await db.updateTable('audit_head').set({ verifier_key: forger.verifierKey }).execute();
      for (const size of [10, 14]) await resignCheckpoint(db, forger, size);
      expect((await verifyAuditLog(db)).isIntact).toBe(true);
      monitor.start({ kind: 'automatic' });
      await monitor.settle(10_000);
      expect(monitor.describe()).toMatchObject({ state: 'broken' });
      expect(monitor.describe().message).toMatch(/^checkpoint-key-untrusted: checkpoint 10 is signed by no trusted key/);
    });
  });
}
