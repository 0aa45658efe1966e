import { randomBytes, randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { rotateAuditSigningKey } from '../../src/audit/audit-key-rotation.js';
import { verifyCheckpoint } from '../../src/audit/checkpoint.js';
import { verifyConsistencyProof, verifyInclusionProof } from '../../src/audit/merkle-verify.js';
import { parseNoteVerifierKey } from '../../src/audit/signed-note.js';
import { dialects, missingPostgresMessage, postgresUrl } from '../support/databases.js';
import { noteSkippedWhen } from '../support/skip-notice.js';
import { startIdentityApp } from '../identity/support/identity-app.js';
import type { IdentityApp } from '../identity/support/identity-app.js';
import { createStaff, openSession, sendWithSession } from '../identity/support/staff.js';
import type { TestSession } from '../identity/support/staff.js';
import { useAuditDatabase } from './support/audit-fixture.js';
import { closeCheckpointSigners, conversationOpened, countEntries, createCheckpointSigner, getJson, startVerification, waitForVerification } from './support/audit-http.js';
import type { EntryAnswer, StatusAnswer } from './support/audit-http.js';

noteSkippedWhen(postgresUrl === undefined, 'the audit log over HTTP on postgres', missingPostgresMessage);

const fromBase64 = (text: string): Buffer => Buffer.from(text, 'base64');
const pseudonymOf = (contactId: string): string => `C-${contactId.slice(0, 8).toUpperCase()}`;

for (const dialect of dialects) {
  describe.skipIf(!dialect.isAvailable)(`the audit log over HTTP on ${dialect.name}`, () => {
    const suiteDatabase = useAuditDatabase(dialect);
    // Each test gets a fresh app (fresh verification state) on the suite's database, so the keyring's key stays the same.
    const masterKey = randomBytes(32).toString('base64');
    let app: IdentityApp;
    let auditor: TestSession;
    let auditorId: string;

    beforeEach(async () => {
      app = await startIdentityApp(suiteDatabase(), { overrides: { RAMPART_MASTER_KEY: masterKey } });
      auditorId = (await createStaff(app, { roleIds: ['auditor'] })).userId;
      auditor = await openSession(app, auditorId);
    });
    afterEach(async () => {
      await app?.close();
      await closeCheckpointSigners();
    });

    async function appendEntries(count: number, entry = () => conversationOpened(randomUUID())): Promise<void> {
      for (let index = 0; index < count; index += 1) await app.audit.append(entry());
    }

    /** Many entries quickly: concurrent appends share transactions (group commit). */
    async function appendConcurrently(count: number): Promise<void> {
      for (let done = 0; done < count; done += 250) {
        await Promise.all(Array.from({ length: Math.min(250, count - done) }, () => app.audit.append(conversationOpened(randomUUID()))));
      }
    }

    async function readAllPages(limit: number): Promise<EntryAnswer[]> {
      const seen: EntryAnswer[] = [];
      let url = `/api/v1/audit/entries?limit=${limit}`;
      for (let page = 0; page < 100; page += 1) {
        const answer = await getJson<{ entries: EntryAnswer[]; nextBefore: number | null }>(app, auditor, url);
        expect(answer.entries.length).toBeLessThanOrEqual(limit);
        seen.push(...answer.entries);
        if (answer.nextBefore === null) return seen;
        url = `/api/v1/audit/entries?limit=${limit}&before=${answer.nextBefore}`;
      }
      throw new Error('paging did not end');
    }

    it('pages through every entry newest first, none repeated or left out, contacts shown only as pseudonyms', async () => {
      const contactIds = Array.from({ length: 23 }, () => randomUUID());
      for (const contactId of contactIds) await app.audit.append(conversationOpened(contactId));

      const entries = await readAllPages(5);
      const total = await countEntries(app);
      // The first page recorded the read itself (audit.read), before it was read: it is the newest entry.
      expect(total).toBe(24);
      expect(entries.map((entry) => entry.seq)).toEqual(Array.from({ length: total }, (_, index) => total - 1 - index));
      expect(entries[0]).toMatchObject({ action: 'audit.read', actor: { type: 'user', id: auditorId }, subject: null, outcome: 'success' });
      const opened = entries.filter((entry) => entry.action === 'conversation.open').reverse();
      expect(opened.map((entry) => entry.subject)).toEqual(contactIds.map(pseudonymOf));
      expect(opened[0]).toMatchObject({ resource: { type: 'conversation', id: contactIds[0] }, sourceAddress: '203.0.113.7', details: { messages: 3 } });
      for (const entry of entries) if (entry.subject !== null) expect(entry.subject).toMatch(/^C-[0-9A-F]{8}$/);
    });

    it('filters by action prefix and outcome, takes empty filter fields as none, and refuses bad input with a 400 that records nothing', async () => {
      await appendEntries(4);
      await appendEntries(3, () => conversationOpened(randomUUID(), { action: 'contact.view', outcome: 'denied' }));
      const page = (query: string) => getJson<{ entries: EntryAnswer[]; nextBefore: number | null }>(app, auditor, `/api/v1/audit/entries?${query}`);

      expect((await page('action=contact')).entries.map((entry) => entry.action)).toEqual(['contact.view', 'contact.view', 'contact.view']);
      expect((await page('action=conversation.')).entries).toHaveLength(4);
      expect((await page('outcome=denied')).entries.every((entry) => entry.outcome === 'denied')).toBe(true);
      expect((await page('action=conversation&outcome=denied')).entries).toEqual([]);
      const unfiltered = await page('action=&outcome=&before=');
      expect(unfiltered.entries).toHaveLength(8);
      expect(unfiltered.nextBefore).toBeNull();

      const before = await countEntries(app);
      for (const query of ['limit=0', 'limit=501', 'limit=ten', 'before=-1', 'before=1.5', 'action=DROP%20TABLE', 'action=%25', 'outcome=maybe']) {
        const response = await sendWithSession(app, auditor, { method: 'GET', url: `/api/v1/audit/entries?${query}` });
        expect({ query, status: response.statusCode, code: (response.json() as { code: string }).code }).toEqual({ query, status: 400, code: 'INVALID_REQUEST' });
      }
      expect(await countEntries(app)).toBe(before);
    });

    it('records reading once per reader per 15 minutes, whether by session or API key', async () => {
      await appendEntries(2);
      for (let index = 0; index < 5; index += 1) await getJson(app, auditor, '/api/v1/audit/entries');
      expect(await countEntries(app, 'audit.read')).toBe(1);

      const { key, summary } = await app.apiKeys.createApiKey('siem', ['audit:read']);
      for (let index = 0; index < 3; index += 1) {
        const response = await app.app.inject({ method: 'GET', url: '/api/v1/audit/entries', headers: { authorization: `Bearer ${key}` } });
        expect(response.statusCode).toBe(200);
      }
      expect(await countEntries(app, 'audit.read')).toBe(2);
      const [byKey] = (await getJson<{ entries: EntryAnswer[] }>(app, auditor, '/api/v1/audit/entries?action=audit.read&limit=1')).entries;
      expect(byKey?.actor).toEqual({ type: 'api-key', id: summary.id });

      app.clock.advance(15 * 60_000);
      // The session went idle meanwhile; the same reader signs in again.
      auditor = await openSession(app, auditorId);
      await getJson(app, auditor, '/api/v1/audit/entries');
      expect(await countEntries(app, 'audit.read')).toBe(3);
    });

    it('reports size, root and the latest signed checkpoint, whose note verifies with the verifier key', async () => {
      expect((await sendWithSession(app, auditor, { method: 'GET', url: '/api/v1/audit/checkpoint' })).statusCode).toBe(404);
      const { signer, sign } = await createCheckpointSigner(app);
      await appendEntries(10);
      const signed = await sign();
      await appendEntries(2);

      const status = await getJson<StatusAnswer>(app, auditor, '/api/v1/audit/status');
      const head = await app.audit.readTreeHead();
      expect(status.treeSize).toBe(head.size);
      expect(status.treeSize).toBeGreaterThanOrEqual(12);
      expect(status.rootHash).toBe(head.rootHash.toString('base64'));
      expect(status.latestCheckpoint).toEqual({
        treeSize: 10,
        rootHash: signed!.rootHash.toString('base64'),
        signedAt: signed!.createdAt,
        keyName: signer.keyName,
        keyVersion: 1,
        verifierKey: signer.verifierKey,
        note: signed!.note,
      });

      const text = await sendWithSession(app, auditor, { method: 'GET', url: '/api/v1/audit/checkpoint' });
      expect(text.statusCode).toBe(200);
      expect(text.headers['content-type']).toMatch(/^text\/plain/);
      expect(text.body).toBe(signed!.note);
      expect({ version: text.headers['audit-signing-key-version'], key: text.headers['audit-verifier-key'] }).toEqual({ version: '1', key: signer.verifierKey });
      expect(status.signingKeys).toEqual([{ version: 1, verifierKey: signer.verifierKey, createdAt: expect.any(Number), retiredAt: null, retiredAtTreeSize: null }]);
      const verdict = verifyCheckpoint(text.body, { origin: signer.keyName, verifierKey: parseNoteVerifierKey(signer.verifierKey) });
      expect(verdict.isValid && { size: verdict.checkpoint.size, root: verdict.checkpoint.rootHash.toString('base64') }).toEqual({ size: 10, root: status.latestCheckpoint!.rootHash });
      expect(verifyCheckpoint(text.body.replace('\n10\n', '\n11\n'), { origin: signer.keyName, verifierKey: parseNoteVerifierKey(signer.verifierKey) }).isValid).toBe(false);
    });

    it('after a key rotation names the key of each checkpoint, lists both keys, and still verifies the log intact', async () => {
      const { signer: first, auditSigner, kms, sign } = await createCheckpointSigner(app);
      await appendEntries(4);
      await sign();
      const rotated = await rotateAuditSigningKey({ db: app.database.db, dialect: app.database.dialect, kms, signer: auditSigner, clock: app.clock });
      await appendEntries(3);
      const newest = await sign();

      const status = await getJson<StatusAnswer>(app, auditor, '/api/v1/audit/status');
      expect(status.latestCheckpoint).toMatchObject({ treeSize: 8, keyVersion: 2, verifierKey: rotated.current.verifierKey, note: newest!.note });
      expect(status.signingKeys.map(({ version, verifierKey, retiredAtTreeSize }) => ({ version, verifierKey, retiredAtTreeSize }))).toEqual([
        { version: 1, verifierKey: first.verifierKey, retiredAtTreeSize: 5 },
        { version: 2, verifierKey: rotated.current.verifierKey, retiredAtTreeSize: null },
      ]);
      const text = await sendWithSession(app, auditor, { method: 'GET', url: '/api/v1/audit/checkpoint' });
      expect({ version: text.headers['audit-signing-key-version'], key: text.headers['audit-verifier-key'] }).toEqual({ version: '2', key: rotated.current.verifierKey });
      const key = parseNoteVerifierKey(rotated.current.verifierKey);
      expect(verifyCheckpoint(text.body, { origin: key.name, verifierKey: key }).isValid).toBe(true);

      await startVerification(app, auditor);
      expect((await waitForVerification(app, auditor)).verification).toMatchObject({ state: 'intact', checkedSize: 8 });
    });

    it('serves inclusion and consistency proofs that verify against the signed checkpoints, and refuses impossible ones', async () => {
      const { signer, sign } = await createCheckpointSigner(app);
      const key = parseNoteVerifierKey(signer.verifierKey);
      await appendEntries(5);
      const older = await sign();
      await appendEntries(8);
      const newer = await sign();
      const openRoot = (note: string) => {
        const verdict = verifyCheckpoint(note, { origin: signer.keyName, verifierKey: key });
        if (!verdict.isValid) throw new Error(verdict.detail);
        return verdict.checkpoint;
      };
      const [first, second] = [openRoot(older!.note), openRoot(newer!.note)];

      for (const seq of [0, 4, 7, 12]) {
        const proof = await getJson<{ seq: number; treeSize: number; leafHash: string; hashes: string[] }>(app, auditor, `/api/v1/audit/proofs/inclusion?seq=${seq}&treeSize=${second.size}`);
        expect(proof).toMatchObject({ seq, treeSize: 13 });
        const claim = { leafHash: fromBase64(proof.leafHash), leafIndex: seq, treeSize: second.size, rootHash: second.rootHash, proof: proof.hashes.map(fromBase64) };
        expect(verifyInclusionProof(claim)).toEqual({ isValid: true });
        expect(verifyInclusionProof({ ...claim, rootHash: first.rootHash }).isValid).toBe(false);
      }
      const consistency = await getJson<{ from: number; to: number; hashes: string[] }>(app, auditor, `/api/v1/audit/proofs/consistency?from=${first.size}&to=${second.size}`);
      expect(consistency).toMatchObject({ from: 5, to: 13 });
      const claim = { size1: first.size, size2: second.size, root1: first.rootHash, root2: second.rootHash, proof: consistency.hashes.map(fromBase64) };
      expect(verifyConsistencyProof(claim)).toEqual({ isValid: true });

      const size = (await app.audit.readTreeHead()).size;
      for (const query of [`inclusion?seq=13&treeSize=13`, `inclusion?seq=0&treeSize=${size + 1}`, 'inclusion?seq=x&treeSize=3', 'inclusion?treeSize=3', `consistency?from=0&to=5`, 'consistency?from=6&to=5', `consistency?from=1&to=${size + 1}`]) {
        const response = await sendWithSession(app, auditor, { method: 'GET', url: `/api/v1/audit/proofs/${query}` });
        expect({ query, status: response.statusCode }).toEqual({ query, status: 400 });
      }
    });

    it('verifies in the background: intact, then the first bad entry after an entry\'s bytes are edited, recording each run', async () => {
      const { sign } = await createCheckpointSigner(app);
      await appendEntries(12);
      await sign();
      // The first status read may start an automatic run; let it finish so the next run sees the tampering.
      expect((await waitForVerification(app, auditor)).verification.state).toBe('intact');

      expect(['running', 'intact']).toContain((await startVerification(app, auditor)).state);
      const intact = (await waitForVerification(app, auditor)).verification;
      expect(intact).toEqual({ state: 'intact', checkedAt: app.clock.now(), checkedSize: 12, firstBadSeq: null, message: null });
      const [recorded] = (await getJson<{ entries: EntryAnswer[] }>(app, auditor, '/api/v1/audit/entries?action=audit.verify')).entries;
      expect(recorded).toMatchObject({ actor: { type: 'user', id: auditorId }, outcome: 'success', details: { result: 'intact', checkedSize: 12, trigger: 'manual' } });

      await app.database.db.updateTable('audit_entries').set({ details: '{"messages":4}' }).where('seq', '=', 5).execute();
      await startVerification(app, auditor);
      const broken = (await waitForVerification(app, auditor)).verification;
      expect(broken).toMatchObject({ state: 'broken', firstBadSeq: 5 });
      expect(broken.message).toMatch(/^leaf-hash-mismatch: entry 5/);
      const [found] = (await getJson<{ entries: EntryAnswer[] }>(app, auditor, '/api/v1/audit/entries?action=audit.verify&limit=1')).entries;
      expect(found).toMatchObject({ outcome: 'failed', details: { result: 'broken', firstBadSeq: 5, reason: 'leaf-hash-mismatch' } });
    });

    it('names a deleted entry as the first bad one', async () => {
      const { sign } = await createCheckpointSigner(app);
      await appendEntries(12);
      await sign();
      await waitForVerification(app, auditor);
      await app.database.db.deleteFrom('audit_entries').where('seq', '=', 7).execute();
      await startVerification(app, auditor);
      const broken = (await waitForVerification(app, auditor)).verification;
      expect(broken).toMatchObject({ state: 'broken', firstBadSeq: 7 });
      expect(broken.message).toMatch(/^entry-missing: entry 7 is missing/);
    });

    it('runs one verification at a time: a second request while one runs answers its state and starts nothing', async () => {
      await appendConcurrently(1_500);
      await waitForVerification(app, auditor);
      const runsBefore = await countEntries(app, 'audit.verify');
      const answers = await Promise.all([startVerification(app, auditor), startVerification(app, auditor)]);
      expect(answers.map((answer) => answer.state)).toEqual(['running', 'running']);
      await waitForVerification(app, auditor);
      expect(await countEntries(app, 'audit.verify')).toBe(runsBefore + 1);
    });

    it('gives way to other work while it verifies: timers keep firing and requests are answered', async () => {
      await appendConcurrently(3_000);
      await waitForVerification(app, auditor);
      let last = performance.now();
      let longestPause = 0;
      const ticker = setInterval(() => {
        longestPause = Math.max(longestPause, performance.now() - last);
        last = performance.now();
      }, 5);
      const started = performance.now();
      await startVerification(app, auditor);
      const status = await waitForVerification(app, auditor);
      const took = performance.now() - started;
      clearInterval(ticker);
      expect(status.verification).toMatchObject({ state: 'intact', checkedSize: 3_000 });
      // In one stretch (SQLite answers synchronously), the walk would hold the event loop for nearly all of it.
      expect(longestPause).toBeLessThan(took / 4);
    });

    it('re-verifies automatically when the status is read, at most every 5 minutes, recording only findings', async () => {
      await appendEntries(3);
      const first = (await waitForVerification(app, auditor)).verification;
      expect(first).toMatchObject({ state: 'intact', checkedAt: app.clock.now(), checkedSize: 3 });

      app.clock.advance(4 * 60_000);
      await appendEntries(1);
      expect((await waitForVerification(app, auditor)).verification).toEqual(first);

      app.clock.advance(60_000);
      const second = (await waitForVerification(app, auditor)).verification;
      expect(second).toMatchObject({ state: 'intact', checkedAt: app.clock.now(), checkedSize: 4 });
      // "Still intact" is not news: automatic runs wrote nothing.
      expect(await countEntries(app, 'audit.verify')).toBe(0);

      await app.database.db.deleteFrom('audit_entries').where('seq', '=', 1).execute();
      app.clock.advance(5 * 60_000);
      expect((await waitForVerification(app, auditor)).verification).toMatchObject({ state: 'broken', firstBadSeq: 1 });
      const [finding] = (await getJson<{ entries: EntryAnswer[] }>(app, auditor, '/api/v1/audit/entries?action=audit.verify')).entries;
      expect(finding).toMatchObject({ actor: { type: 'system', id: 'audit-verifier' }, outcome: 'failed', details: { trigger: 'automatic', firstBadSeq: 1 } });
    });

    it('exports the log as JSON lines ending with the checkpoint, and records every export', async () => {
      const { sign } = await createCheckpointSigner(app);
      await appendEntries(6);
      await sign();
      const exported = async () => {
        const response = await sendWithSession(app, auditor, { method: 'GET', url: '/api/v1/audit/export?since=2' });
        expect(response.statusCode, response.body).toBe(200);
        expect(response.headers['content-type']).toMatch(/^application\/x-ndjson/);
        return response.body.trimEnd().split('\n').map((line) => JSON.parse(line) as { type: string; seq?: number; action?: string });
      };
      const lines = await exported();
      expect(lines[0]).toMatchObject({ type: 'prefix', treeSize: 2 });
      expect(lines.filter((line) => line.type === 'entry').map((line) => line.seq)).toEqual([2, 3, 4, 5, 6]);
      expect(lines.find((line) => line.seq === 6)).toMatchObject({ action: 'audit.export' });
      expect(lines.at(-1)).toMatchObject({ type: 'checkpoint', treeSize: 6 });
      await exported();
      expect(await countEntries(app, 'audit.export')).toBe(2);
    });
  });
}
