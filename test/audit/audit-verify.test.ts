import { randomBytes, randomUUID } from 'node:crypto';
import type { KyselyPlugin, RootOperationNode, Updateable } from 'kysely';
import { hashAuditRecord } from '../../src/audit/audit-entry-encoding.js';
import { insertAuditEntries, readAuditHead, toEntryRow } from '../../src/audit/audit-repository.js';
import { afterEach, describe, expect, it } from 'vitest';
import type { AuditEntryTable } from '../../src/audit/audit.table.js';
import { verifyAuditLog } from '../../src/audit/audit-verifier.js';
import type { AuditVerdict } from '../../src/audit/audit-verifier.js';
import { signCheckpoint } from '../../src/audit/checkpoint.js';
import { computeFrontierRoot } from '../../src/audit/merkle-tree.js';
import { createNoteSigner } from '../../src/audit/signed-note.js';
import type { NoteSigner } from '../../src/audit/signed-note.js';
import type { Db } from '../../src/db/database.js';
import { dialects, missingPostgresMessage, postgresUrl } from '../support/databases.js';
import { noteSkippedWhen } from '../support/skip-notice.js';
import type { AuditFixture } from './support/audit-fixture.js';
import { conversationRead, openAuditLog, openDatabase, useAuditDatabase } from './support/audit-fixture.js';
import { insertEntryAt, readEntry, rewriteAllHashes, swapEntries } from './support/tampering.js';

noteSkippedWhen(postgresUrl === undefined, 'audit verification on postgres', missingPostgresMessage);

/** 23 entries; checkpoints signed at sizes 8, 16 and 20. */
async function buildLog(fixture: AuditFixture): Promise<void> {
  for (let seq = 0; seq < 23; seq += 1) {
    await fixture.log.append(conversationRead({ details: { messages: seq } }));
    if ([8, 16, 20].includes(seq + 1)) await fixture.log.signCheckpoint();
  }
}

/** What an attacker holding `signer` writes: a checkpoint of the tree as it stands, its row naming `version`. */
async function insertSignedCheckpoint(db: Db, signer: NoteSigner, version: number, createdAt = 0): Promise<number> {
  const head = await readAuditHead(db);
  const rootHash = computeFrontierRoot(head.frontier);
  const note = signCheckpoint({ origin: signer.keyName, size: head.size, rootHash }, [signer]);
  await db.insertInto('audit_checkpoints').values({ tree_size: head.size, root_hash: rootHash, note, created_at: createdAt, signing_key_version: version }).execute();
  return head.size;
}

function expectBroken(verdict: AuditVerdict, reason: string, sequence: number | null): void {
  expect(verdict.isIntact ? 'intact' : { reason: verdict.reason, sequence: verdict.sequence }).toEqual({ reason, sequence });
}

for (const dialect of dialects) {
  describe.skipIf(!dialect.isAvailable)(`audit verification on ${dialect.name}`, () => {
    const suiteDatabase = useAuditDatabase(dialect);
    let fixture: AuditFixture | undefined;
    afterEach(async () => {
      await fixture?.close();
      fixture = undefined;
    });

    async function open(): Promise<{ db: Db; verifierKey: string; fixture: AuditFixture }> {
      fixture = await openAuditLog(suiteDatabase());
      await buildLog(fixture);
      return { db: fixture.database.db, verifierKey: fixture.noteSigner().verifierKey, fixture };
    }

    it('passes an intact log, in pages of any size, reporting counts and the latest checkpoint', async () => {
      const { db, verifierKey } = await open();
      for (const pageSize of [1, 5, 8, 1_000]) {
        const verdict = await verifyAuditLog(db, { verifierKeys: [verifierKey], pageSize });
        expect(verdict).toMatchObject({ isIntact: true, entriesChecked: 23, checkpointsChecked: 3, trustedKeys: { verifierKeys: [verifierKey], source: 'given' } });
        expect(verdict.isIntact && verdict.latestCheckpoint?.treeSize).toBe(20);
      }
      expect(await verifyAuditLog(db)).toMatchObject({ isIntact: true, trustedKeys: { verifierKeys: [verifierKey], source: 'database' } });
    });

    it('passes a log that grows and gets new checkpoints while the verification runs', async () => {
      const { db, verifierKey, fixture: live } = await open();
      // Page size 1: every entry is its own query, so appends land between them.
      const verifying = verifyAuditLog(db, { verifierKeys: [verifierKey], pageSize: 1 });
      for (let appended = 0; appended < 30; appended += 1) {
        await live.log.append(conversationRead({ details: { messages: 100 + appended } }));
        if (appended % 10 === 9) await live.log.signCheckpoint();
      }
      const verdict = await verifying;
      expect(verdict.isIntact ? 'intact' : verdict.detail).toBe('intact');
      expect(verdict.entriesChecked).toBeGreaterThanOrEqual(23);
      expect(await verifyAuditLog(db, { verifierKeys: [verifierKey] })).toMatchObject({ isIntact: true, entriesChecked: 53 });
    });

    it('still names an entry forged beyond the head when a real append lands in the middle of the end check', async () => {
      const { db, verifierKey, fixture: live } = await open();
      const template = await readEntry(db, 3);
      const forged = { ...template, seq: 1_000_000, entryId: randomUUID(), action: 'contact.export' };
      await insertAuditEntries(db, [{ ...forged, leafHash: hashAuditRecord(forged) }]);
      // The verifier on a connection of its own, as beside a busy gateway: an append commits right
      // after it counted the nodes, which would raise the allowance for rows beyond the head.
      const verifierDatabase = await openDatabase(suiteDatabase());
      const nodeCounts = new Set<unknown>();
      const appendAfterNodeCount: KyselyPlugin = {
        transformQuery({ node, queryId }) {
          const select = node as RootOperationNode & { kind: string; from?: { froms: { table?: { identifier?: { name?: string } } }[] }; where?: unknown };
          if (select.kind === 'SelectQueryNode' && select.from?.froms[0]?.table?.identifier?.name === 'audit_nodes' && select.where === undefined) nodeCounts.add(queryId);
          return node;
        },
        async transformResult({ queryId, result }) {
          if (nodeCounts.delete(queryId)) await live.log.append(conversationRead());
          return result;
        },
      };
      try {
        expectBroken(await verifyAuditLog(verifierDatabase.db.withPlugin(appendAfterNodeCount), { verifierKeys: [verifierKey] }), 'head-mismatch', 1_000_000);
      } finally {
        await verifierDatabase.close();
      }
    });

    it('names the edited entry whichever column was changed', async () => {
      const { db, verifierKey } = await open();
      const edits: Updateable<AuditEntryTable>[] = [
        { entry_id: randomUUID() },
        { occurred_at: (await readEntry(db, 11)).occurredAt + 1 },
        { actor_type: 'system' },
        { actor_id: randomUUID() },
        { actor_label: 'someone' },
        { action: 'contact.export' },
        { resource_type: 'media' },
        { resource_id: randomUUID() },
        { subject_contact_id: randomUUID() },
        { subject_contact_id: null },
        { source_address: '198.51.100.1' },
        { source_address: null },
        { request_id: 'req-other' },
        { outcome: 'denied' },
        { details: '{"messages":12}' },
        { leaf_hash: randomBytes(32) },
      ];
      const original = await readEntry(db, 11);
      for (const edit of edits) {
        await db.updateTable('audit_entries').set(edit).where('seq', '=', 11).execute();
        const verdict = await verifyAuditLog(db, { verifierKeys: [verifierKey], pageSize: 5 });
        expect({ edit: Object.keys(edit)[0], reason: verdict.isIntact ? 'intact' : verdict.reason, sequence: verdict.isIntact ? null : verdict.sequence }).toEqual({
          edit: Object.keys(edit)[0],
          reason: 'leaf-hash-mismatch',
          sequence: 11,
        });
        await db
          .updateTable('audit_entries')
          .set({ ...toEntryRow(original) })
          .where('seq', '=', 11)
          .execute();
      }
      expect((await verifyAuditLog(db, { verifierKeys: [verifierKey] })).isIntact).toBe(true);
    });

    it('catches an edit whose leaf hash, nodes and head were all recomputed, at the checkpoint that covers it', async () => {
      const { db, verifierKey } = await open();
      await db.updateTable('audit_entries').set({ outcome: 'denied' }).where('seq', '=', 11).execute();
      await rewriteAllHashes(db);
      const verdict = await verifyAuditLog(db, { verifierKeys: [verifierKey] });
      expect(verdict).toMatchObject({ isIntact: false, reason: 'checkpoint-root-mismatch', sequence: 8, checkpointSize: 16 });
      expect(verdict.isIntact ? '' : verdict.detail).toContain('8–15');
    });

    it('cannot tell a thoroughly rewritten entry after the newest checkpoint from the database alone (README)', async () => {
      const { db, verifierKey } = await open();
      await db.updateTable('audit_entries').set({ outcome: 'denied' }).where('seq', '=', 21).execute();
      await rewriteAllHashes(db);
      expect((await verifyAuditLog(db, { verifierKeys: [verifierKey] })).isIntact).toBe(true);
    });

    it('names a deleted entry, in the middle and at the end', async () => {
      const { db, verifierKey } = await open();
      await db.deleteFrom('audit_entries').where('seq', '=', 22).execute();
      expectBroken(await verifyAuditLog(db, { verifierKeys: [verifierKey] }), 'entry-missing', 22);
      await db.deleteFrom('audit_entries').where('seq', '=', 11).execute();
      expectBroken(await verifyAuditLog(db, { verifierKeys: [verifierKey], pageSize: 4 }), 'entry-missing', 11);
    });

    it('names the first of two entries that were swapped', async () => {
      const { db, verifierKey } = await open();
      await swapEntries(db, 5, 13);
      expectBroken(await verifyAuditLog(db, { verifierKeys: [verifierKey] }), 'leaf-hash-mismatch', 5);
    });

    it('names an inserted entry, even one with a correct leaf hash for its position', async () => {
      const { db, verifierKey } = await open();
      await insertEntryAt(db, 11, await readEntry(db, 3));
      expectBroken(await verifyAuditLog(db, { verifierKeys: [verifierKey] }), 'node-mismatch', 11);
    });

    it('names an entry appended behind the log\'s back', async () => {
      const { db, verifierKey } = await open();
      await insertEntryAt(db, 23, await readEntry(db, 3));
      expectBroken(await verifyAuditLog(db, { verifierKeys: [verifierKey] }), 'head-mismatch', 23);
    });

    it('reports truncation below the latest checkpoint, even when the head and nodes were rewritten to match', async () => {
      const { db, verifierKey } = await open();
      await db.deleteFrom('audit_entries').where('seq', '>=', 17).execute();
      expectBroken(await verifyAuditLog(db, { verifierKeys: [verifierKey] }), 'entry-missing', 17);
      await rewriteAllHashes(db);
      const verdict = await verifyAuditLog(db, { verifierKeys: [verifierKey] });
      expect(verdict).toMatchObject({ isIntact: false, reason: 'log-truncated', sequence: 17, checkpointSize: 20 });
    });

    it('rejects a checkpoint whose signature was forged', async () => {
      const { db, verifierKey } = await open();
      const row = await db.selectFrom('audit_checkpoints').select('note').where('tree_size', '=', 16).executeTakeFirstOrThrow();
      const [text, signature] = row.note.split('\n\n') as [string, string];
      const signatureBytes = Buffer.from(signature.split(' ')[2]!.trim(), 'base64');
      signatureBytes[10]! ^= 0x01;
      const forged = `${text}\n\n${signature.split(' ').slice(0, 2).join(' ')} ${signatureBytes.toString('base64')}\n`;
      await db.updateTable('audit_checkpoints').set({ note: forged }).where('tree_size', '=', 16).execute();
      const verdict = await verifyAuditLog(db, { verifierKeys: [verifierKey] });
      expect(verdict).toMatchObject({ isIntact: false, reason: 'checkpoint-invalid', sequence: null, checkpointSize: 16 });
      expect(verdict.isIntact ? '' : verdict.detail).toContain('signature-invalid');
    });

    it('rejects a validly signed checkpoint whose root the entries do not produce, and a row that disagrees with its note', async () => {
      const { db, verifierKey, fixture: built } = await open();
      const wrongRoot = randomBytes(32);
      const note = signCheckpoint({ origin: built.signer.origin, size: 16, rootHash: wrongRoot }, [built.noteSigner()]);
      const original = await db.selectFrom('audit_checkpoints').selectAll().where('tree_size', '=', 16).executeTakeFirstOrThrow();
      await db.updateTable('audit_checkpoints').set({ note, root_hash: wrongRoot }).where('tree_size', '=', 16).execute();
      expect(await verifyAuditLog(db, { verifierKeys: [verifierKey] })).toMatchObject({ isIntact: false, reason: 'checkpoint-root-mismatch', sequence: 8, checkpointSize: 16 });

      await db.updateTable('audit_checkpoints').set({ note: original.note }).where('tree_size', '=', 16).execute();
      expect(await verifyAuditLog(db, { verifierKeys: [verifierKey] })).toMatchObject({ isIntact: false, reason: 'checkpoint-row-mismatch', checkpointSize: 16 });
    });

    it('catches a replaced verifier key when the real one is given, and only then', async () => {
      const { db, verifierKey, fixture: built } = await open();
      // The attacker rewrites an entry, re-signs with a key of their own, and lists it as the log's key.
      const attacker = createNoteSigner({ keyName: built.signer.origin, privateKey: randomBytes(32) });
      await db.updateTable('audit_entries').set({ outcome: 'denied' }).where('seq', '=', 3).execute();
      await rewriteAllHashes(db);
      await db.deleteFrom('audit_checkpoints').execute();
      await db.updateTable('audit_head').set({ verifier_key: attacker.verifierKey }).execute();
      await db.updateTable('audit_signing_keys').set({ verifier_key: attacker.verifierKey }).execute();
      await insertSignedCheckpoint(db, attacker, 1);

      expect(await verifyAuditLog(db)).toMatchObject({ isIntact: true, trustedKeys: { source: 'database', verifierKeys: [attacker.verifierKey] } });
      const pinned = await verifyAuditLog(db, { verifierKeys: [verifierKey] });
      expect(pinned).toMatchObject({ isIntact: false, reason: 'checkpoint-key-untrusted', checkpointSize: 23 });
      expect(pinned.isIntact ? '' : pinned.detail).toContain(`${attacker.keyName}+${attacker.keyId} (signing key version 1 in the database), which was not given`);
    });

    it('flags a published verifier key that differs from the pinned one, or from the current key row, even when every signature checks', async () => {
      const { db, verifierKey } = await open();
      const other = createNoteSigner({ keyName: 'rampart/other/audit', privateKey: randomBytes(32) });
      await db.updateTable('audit_head').set({ verifier_key: other.verifierKey }).execute();
      expectBroken(await verifyAuditLog(db, { verifierKeys: [verifierKey] }), 'verifier-key-replaced', null);
      expectBroken(await verifyAuditLog(db), 'verifier-key-replaced', null);
    });

    it('names the entry whose stored subtree was changed, and flags stray nodes and entries outside the sequence', async () => {
      const { db, verifierKey } = await open();
      await db.updateTable('audit_nodes').set({ hash: randomBytes(32) }).where('level', '=', 2).where('node_index', '=', 1).execute();
      expectBroken(await verifyAuditLog(db, { verifierKeys: [verifierKey] }), 'node-mismatch', 7);
      await rewriteAllHashes(db);
      await db.insertInto('audit_nodes').values({ level: 9, node_index: 9, hash: randomBytes(32) }).execute();
      expectBroken(await verifyAuditLog(db, { verifierKeys: [verifierKey] }), 'unexpected-nodes', null);
      await db.deleteFrom('audit_nodes').where('level', '=', 9).execute();
      const stray = await readEntry(db, 2);
      await db.insertInto('audit_entries').values({ ...toEntryRow(stray), seq: -1, entry_id: randomUUID() }).execute();
      expectBroken(await verifyAuditLog(db, { verifierKeys: [verifierKey] }), 'entry-outside-sequence', null);
    });

    it('throws on a malformed or empty set of verifier keys given by the caller (a usage error, not a verdict)', async () => {
      const { db, verifierKey } = await open();
      await expect(verifyAuditLog(db, { verifierKeys: [verifierKey, 'not-a-key'] })).rejects.toThrow(RangeError);
      await expect(verifyAuditLog(db, { verifierKeys: [] })).rejects.toThrow(RangeError);
    });
  });
}
