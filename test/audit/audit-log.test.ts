import { afterEach, describe, expect, it } from 'vitest';
import { hashAuditRecord } from '../../src/audit/audit-entry-encoding.js';
import { createAuditLog } from '../../src/audit/audit-log.js';
import type { AuditLog } from '../../src/audit/audit-log.js';
import { listAuditEntries } from '../../src/audit/audit-repository.js';
import { computeRootFromLeafHashes, verifyConsistencyProof, verifyInclusionProof } from '../../src/audit/merkle-tree.js';
import type { Database, Db } from '../../src/db/database.js';
import { dialects, missingPostgresMessage, postgresUrl } from '../support/databases.js';
import { noteSkippedWhen } from '../support/skip-notice.js';
import { conversationRead, createTestClock, openAuditLog, openDatabase, silentLogger, useAuditDatabase } from './support/audit-fixture.js';

noteSkippedWhen(postgresUrl === undefined, 'audit log on postgres', missingPostgresMessage);

async function readAllEntries(db: Db) {
  return listAuditEntries(db, { fromSeq: 0, limit: 100_000 });
}

for (const dialect of dialects) {
  describe.skipIf(!dialect.isAvailable)(`audit log on ${dialect.name}`, () => {
    const suiteDatabase = useAuditDatabase(dialect);
    const closers: (() => Promise<void>)[] = [];
    afterEach(async () => {
      for (const close of closers.splice(0).reverse()) await close();
    });

    async function open() {
      const fixture = await openAuditLog(suiteDatabase());
      closers.push(() => fixture.close());
      return fixture;
    }

    async function openSecondProcess(): Promise<{ database: Database; log: AuditLog }> {
      const database = await openDatabase(suiteDatabase());
      const log = createAuditLog({ db: database.db, dialect: database.dialect, signer: null, clock: createTestClock(), logger: silentLogger });
      closers.push(() => database.close(), () => log.close());
      return { database, log };
    }

    it('numbers concurrent appends 0…n−1 without gaps, and the stored root equals the recomputation from the entries', async () => {
      const { database, log } = await open();
      const grouped = Array.from({ length: 150 }, () => log.append(conversationRead()));
      // Appends inside callers' own transactions, interleaved with the grouped ones.
      const inTransactions = Array.from({ length: 20 }, () =>
        database.db.transaction().execute((trx) => log.appendInTransaction(trx, conversationRead({ action: 'role.changed', resource: { type: 'user', id: 'u-1' } }))),
      );
      const appended = await Promise.all([...grouped, ...inTransactions]);
      expect(appended.map((entry) => entry.seq).sort((left, right) => left - right)).toEqual(Array.from({ length: 170 }, (_unused, index) => index));

      const stored = await readAllEntries(database.db);
      expect(stored.map((entry) => entry.seq)).toEqual(Array.from({ length: 170 }, (_unused, index) => index));
      for (const entry of stored) expect(hashAuditRecord(entry).equals(entry.leafHash)).toBe(true);
      const head = await log.readTreeHead();
      expect(head.size).toBe(170);
      expect(head.rootHash.equals(computeRootFromLeafHashes(stored.map((entry) => entry.leafHash)))).toBe(true);
    });

    it('keeps one gap-free sequence when two separate connection pools append at once', async () => {
      const { database, log } = await open();
      const other = await openSecondProcess();
      await Promise.all([
        ...Array.from({ length: 60 }, () => log.append(conversationRead())),
        ...Array.from({ length: 60 }, () => other.log.append(conversationRead())),
        ...Array.from({ length: 10 }, () => other.database.db.transaction().execute((trx) => other.log.appendInTransaction(trx, conversationRead()))),
      ]);
      const stored = await readAllEntries(database.db);
      expect(stored.map((entry) => entry.seq)).toEqual(Array.from({ length: 130 }, (_unused, index) => index));
      const root = computeRootFromLeafHashes(stored.map((entry) => entry.leafHash));
      expect((await log.readTreeHead()).rootHash.equals(root)).toBe(true);
      expect((await other.log.readTreeHead()).rootHash.equals(root)).toBe(true);
    });

    it('serves inclusion and consistency proofs from the stored nodes that verify, and fail for another leaf', async () => {
      const { database, log } = await open();
      const roots: Buffer[] = [];
      for (let index = 0; index < 37; index += 1) {
        await log.append(conversationRead());
        roots.push((await log.readTreeHead()).rootHash);
      }
      const leaves = (await readAllEntries(database.db)).map((entry) => entry.leafHash);
      for (const treeSize of [1, 2, 5, 8, 13, 32, 37]) {
        const rootHash = roots[treeSize - 1]!;
        for (let seq = 0; seq < treeSize; seq += 1) {
          const proof = await log.proveInclusion(seq, treeSize);
          expect(verifyInclusionProof({ leafHash: leaves[seq]!, leafIndex: seq, treeSize, rootHash, proof }).isValid).toBe(true);
          const otherLeaf = leaves[(seq + 1) % 37]!;
          expect(verifyInclusionProof({ leafHash: otherLeaf, leafIndex: seq, treeSize, rootHash, proof }).isValid).toBe(false);
        }
        for (let size1 = 1; size1 <= treeSize; size1 += 1) {
          const proof = await log.proveConsistency(size1, treeSize);
          expect(verifyConsistencyProof({ size1, size2: treeSize, root1: roots[size1 - 1]!, root2: rootHash, proof }).isValid).toBe(true);
        }
      }
    });

    it('leaves neither an entry nor a gap when the caller\'s transaction rolls back', async () => {
      const { database, log } = await open();
      await log.append(conversationRead());
      await expect(
        database.db.transaction().execute(async (trx) => {
          await log.appendInTransaction(trx, conversationRead());
          throw new Error('the role change failed');
        }),
      ).rejects.toThrow('the role change failed');
      const next = await log.append(conversationRead());
      expect(next.seq).toBe(1);
      expect((await readAllEntries(database.db)).map((entry) => entry.seq)).toEqual([0, 1]);
    });

    it('refuses an entry carrying a phone number before it reaches the database', async () => {
      const { database, log } = await open();
      await expect(log.append(conversationRead({ details: { searchedFor: '+49 151 12345678' } }))).rejects.toThrow(RangeError);
      await expect(log.append(conversationRead({ resource: { type: 'contact', id: '4915112345678' } }))).rejects.toThrow(RangeError);
      expect(await readAllEntries(database.db)).toEqual([]);
    });
  });
}
