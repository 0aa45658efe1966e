import { afterEach, describe, expect, it, vi } from 'vitest';
import { CheckpointRefusedError } from '../../src/audit/audit-checkpointer.js';
import { readLatestCheckpoint } from '../../src/audit/audit-repository.js';
import { verifyAuditLog } from '../../src/audit/audit-verifier.js';
import { verifyCheckpoint } from '../../src/audit/checkpoint.js';
import { parseNoteVerifierKey } from '../../src/audit/signed-note.js';
import type { Db } from '../../src/db/database.js';
import { dialects, missingPostgresMessage, postgresUrl } from '../support/databases.js';
import { noteSkippedWhen } from '../support/skip-notice.js';
import type { AuditFixture } from './support/audit-fixture.js';
import { conversationRead, openAuditLog, useAuditDatabase } from './support/audit-fixture.js';
import { rewriteAllHashes } from './support/tampering.js';

noteSkippedWhen(postgresUrl === undefined, 'audit checkpointer on postgres', missingPostgresMessage);

async function countCheckpoints(db: Db): Promise<number> {
  return (await db.selectFrom('audit_checkpoints').select('tree_size').execute()).length;
}

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

for (const dialect of dialects) {
  describe.skipIf(!dialect.isAvailable)(`audit checkpointer on ${dialect.name}`, () => {
    const suiteDatabase = useAuditDatabase(dialect);
    const fixtures: AuditFixture[] = [];
    afterEach(async () => {
      for (const fixture of fixtures.splice(0)) await fixture.close();
    });

    /** A gateway's log on its own connection; every one opened on the suite's database shares its keyring and so its signing key. */
    async function open(): Promise<AuditFixture> {
      const fixture = await openAuditLog(suiteDatabase());
      fixtures.push(fixture);
      return fixture;
    }

    it('signs within the interval when the tree grew, and not while it does not grow', async () => {
      const { database, log, noteSigner } = await open();
      const signer = noteSigner();
      const intervalMs = 400;
      log.startCheckpointer({ intervalMs });
      await wait(intervalMs * 2);
      expect(await countCheckpoints(database.db)).toBe(0);

      // Submitted together, so they commit as one batch: the tree goes from 0 to 3 at once.
      await Promise.all([log.append(conversationRead()), log.append(conversationRead()), log.append(conversationRead())]);
      const grewAt = Date.now();
      await vi.waitFor(async () => expect(await countCheckpoints(database.db)).toBe(1), { timeout: intervalMs * 4, interval: 10 });
      expect(Date.now() - grewAt).toBeLessThan(intervalMs * 2);
      const latest = await readLatestCheckpoint(database.db);
      const verdict = verifyCheckpoint(latest!.note, { origin: signer.keyName, verifierKey: parseNoteVerifierKey(signer.verifierKey) });
      expect(verdict.isValid && verdict.checkpoint.size).toBe(3);

      await wait(intervalMs * 3);
      expect(await countCheckpoints(database.db)).toBe(1);

      await log.append(conversationRead());
      await vi.waitFor(async () => expect((await readLatestCheckpoint(database.db))?.treeSize).toBe(4), { timeout: intervalMs * 4, interval: 10 });
      expect(await countCheckpoints(database.db)).toBe(2);
    });

    it('signs a last checkpoint when the log closes, so a stopped gateway leaves no entry unsigned', async () => {
      const { database, log } = await open();
      log.startCheckpointer({ intervalMs: 60_000 });
      await Promise.all([log.append(conversationRead()), log.append(conversationRead())]);
      expect(await countCheckpoints(database.db)).toBe(0);
      await log.close();
      expect((await readLatestCheckpoint(database.db))?.treeSize).toBe(2);
    });

    it('signs on demand only when the tree grew since the latest checkpoint', async () => {
      const { log } = await open();
      expect(await log.signCheckpoint()).toBeNull();
      await log.append(conversationRead());
      expect(await log.signCheckpoint()).toMatchObject({ treeSize: 1 });
      expect(await log.signCheckpoint()).toBeNull();
    });

    it('leaves a verifiable log when two processes append and sign at the same time', async () => {
      const first = await open();
      const second = await open();
      expect(second.log.verifierKey).toBe(first.log.verifierKey);
      for (let round = 0; round < 5; round += 1) {
        await Promise.all([first.log.append(conversationRead()), second.log.append(conversationRead())]);
        await Promise.all([first.log.signCheckpoint(), second.log.signCheckpoint(), second.log.signCheckpoint()]);
      }
      const verdict = await verifyAuditLog(first.database.db, { verifierKeys: [first.log.verifierKey!] });
      expect(verdict).toMatchObject({ isIntact: true, entriesChecked: 10 });
      expect(verdict.isIntact && verdict.latestCheckpoint?.treeSize).toBe(10);
    });

    it('refuses to sign over a history rewritten in the database, or one shorter than the latest checkpoint', async () => {
      const { database, log } = await open();
      for (let index = 0; index < 6; index += 1) await log.append(conversationRead());
      await log.signCheckpoint();
      await database.db.updateTable('audit_entries').set({ outcome: 'denied' }).where('seq', '=', 2).execute();
      await rewriteAllHashes(database.db);
      await log.append(conversationRead());
      await expect(log.signCheckpoint()).rejects.toBeInstanceOf(CheckpointRefusedError);

      await database.db.deleteFrom('audit_entries').where('seq', '>=', 4).execute();
      await rewriteAllHashes(database.db);
      await expect(log.signCheckpoint()).rejects.toThrow(/fewer than the 6/);
      expect(await countCheckpoints(database.db)).toBe(1);
    });
  });
}
