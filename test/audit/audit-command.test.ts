import { randomBytes } from 'node:crypto';
import { Command } from 'commander';
import { afterEach, describe, expect, it } from 'vitest';
import { hashAuditRecord } from '../../src/audit/audit-entry-encoding.js';
import type { AuditRecord } from '../../src/audit/audit-entry.js';
import { createAuditLog } from '../../src/audit/audit-log.js';
import { verifyCheckpoint } from '../../src/audit/checkpoint.js';
import { appendLeafHash, computeFrontierRoot, createEmptyFrontier, restoreFrontier } from '../../src/audit/merkle-tree.js';
import { parseNoteVerifierKey } from '../../src/audit/signed-note.js';
import { registerAuditCommand, runAuditCheckpoint, runAuditExport, runAuditRotateKey, runAuditVerify } from '../../src/cli/audit-command.js';
import type { AuditCommandIo } from '../../src/cli/audit-command.js';
import type { Database } from '../../src/db/database.js';
import { dialects, missingPostgresMessage, postgresUrl } from '../support/databases.js';
import { noteSkippedWhen } from '../support/skip-notice.js';
import { conversationRead, createTestClock, databaseEnv, openDatabase, silentLogger, useAuditDatabase } from './support/audit-fixture.js';
import { rewriteAllHashes } from './support/tampering.js';

noteSkippedWhen(postgresUrl === undefined, 'rampart audit commands on postgres', missingPostgresMessage);

class UsageExit extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

function captureIo(env: NodeJS.ProcessEnv) {
  const output = { stdout: '', stderr: '', exitCode: undefined as number | undefined };
  const io: AuditCommandIo = {
    env,
    stdout: {
      write: (chunk) => {
        output.stdout += chunk;
        return true;
      },
      once: () => undefined,
    },
    stderr: { write: (chunk) => (output.stderr += chunk) },
    setExitCode: (code) => (output.exitCode = code),
    exit: (code) => {
      throw new UsageExit(code);
    },
  };
  return { io, output };
}

type ExportLine =
  | { type: 'prefix'; treeSize: number; hashes: string[] }
  | { type: 'checkpoint'; treeSize: number; rootHash: string; note: string }
  | {
      type: 'entry';
      seq: number;
      entryId: string;
      occurredAt: number;
      actor: { type: string; id: string; label: string | null };
      action: string;
      resource: { type: string; id: string };
      subjectContactId: string | null;
      sourceAddress: string | null;
      requestId: string | null;
      outcome: string;
      detailsJson: string;
      leafHash: string;
    };

/** What a reader of an export does: rehash every entry, rebuild the tree, check the signed root. */
function verifyExport(lines: readonly string[], verifierKey: string): { entries: number; checkpointSize: number } {
  const key = parseNoteVerifierKey(verifierKey);
  let frontier = createEmptyFrontier();
  const roots = new Map<number, Buffer>();
  let entries = 0;
  let checkpointSize = -1;
  for (const line of lines) {
    const item = JSON.parse(line) as ExportLine;
    if (item.type === 'prefix') frontier = restoreFrontier(item.treeSize, item.hashes.map((hash) => Buffer.from(hash, 'base64')));
    if (item.type === 'entry') {
      const record: AuditRecord = {
        seq: item.seq,
        entryId: item.entryId,
        occurredAt: item.occurredAt,
        actorType: item.actor.type,
        actorId: item.actor.id,
        actorLabel: item.actor.label,
        action: item.action,
        resourceType: item.resource.type,
        resourceId: item.resource.id,
        subjectContactId: item.subjectContactId,
        sourceAddress: item.sourceAddress,
        requestId: item.requestId,
        outcome: item.outcome,
        details: item.detailsJson,
      };
      expect(record.seq).toBe(frontier.size);
      const leafHash = hashAuditRecord(record);
      expect(leafHash.toString('base64')).toBe(item.leafHash);
      frontier = appendLeafHash(frontier, leafHash).frontier;
      roots.set(frontier.size, computeFrontierRoot(frontier));
      entries += 1;
    }
    if (item.type === 'checkpoint') {
      const verdict = verifyCheckpoint(item.note, { origin: key.name, verifierKey: key });
      if (!verdict.isValid) throw new Error(verdict.reason);
      expect(roots.get(verdict.checkpoint.size)?.equals(verdict.checkpoint.rootHash)).toBe(true);
      checkpointSize = verdict.checkpoint.size;
    }
  }
  return { entries, checkpointSize };
}

for (const dialect of dialects) {
  describe.skipIf(!dialect.isAvailable)(`rampart audit commands on ${dialect.name}`, () => {
    const suiteDatabase = useAuditDatabase(dialect);
    // One master key per suite: the keyring it seals stays in the suite's data dir.
    const masterKey = randomBytes(32).toString('base64');
    let database: Database | undefined;
    afterEach(async () => {
      await database?.close();
      database = undefined;
    });

    /** A deployment's environment (as `rampart start` reads it) with `count` entries and a checkpoint signed by the CLI. */
    async function deployment(count: number) {
      const env: NodeJS.ProcessEnv = {
        ...databaseEnv(suiteDatabase()),
        RAMPART_MASTER_KEY: masterKey,
        WHATSAPP_APP_SECRET: 'app-secret-for-tests',
        WHATSAPP_VERIFY_TOKEN: 'verify-token-for-tests',
      };
      database = await openDatabase(suiteDatabase());
      const log = createAuditLog({ db: database.db, dialect: database.dialect, signer: null, clock: createTestClock(), logger: silentLogger });
      for (let index = 0; index < count; index += 1) await log.append(conversationRead({ details: { messages: index } }));
      await log.close();
      const { io, output } = captureIo(env);
      expect(await runAuditCheckpoint({}, io)).toBe(0);
      const verifierKey = /^verifier key: (\S+)$/m.exec(output.stdout)?.[1] as string;
      return { env, verifierKey, checkpointOutput: output.stdout };
    }

    it('checkpoint signs the grown log and prints a note that verifies under the printed verifier key', async () => {
      const { verifierKey, checkpointOutput } = await deployment(5);
      expect(verifierKey).toMatch(/^rampart\/[0-9a-f-]{36}\/audit\+[0-9a-f]{8}\+/);
      const note = checkpointOutput.slice(checkpointOutput.indexOf('\n\n') + 2);
      const key = parseNoteVerifierKey(verifierKey);
      const verdict = verifyCheckpoint(note, { origin: key.name, verifierKey: key });
      expect(verdict.isValid && verdict.checkpoint.size).toBe(5);
    });

    it('verify exits 0 on an intact log and says which key it trusted', async () => {
      const { env, verifierKey } = await deployment(5);
      const pinned = captureIo(env);
      expect(await runAuditVerify({ verifierKeys: [verifierKey] }, pinned.io)).toBe(0);
      expect(pinned.output.stdout).toContain('audit log intact: 5 entries and 1 checkpoint checked');
      expect(pinned.output.stdout).toContain('latest checkpoint: 5 entries');
      expect(pinned.output.stdout).toContain(`trusted verifier key (given with --verifier-key): ${verifierKey}`);
      const unpinned = captureIo(env);
      expect(await runAuditVerify({}, unpinned.io)).toBe(0);
      expect(unpinned.output.stdout).toContain('read from the database');
    });

    it('verify exits 1 naming the first bad entry after an edit in the database', async () => {
      const { env, verifierKey } = await deployment(5);
      await database!.db.updateTable('audit_entries').set({ action: 'conversation.reply' }).where('seq', '=', 2).execute();
      const { io, output } = captureIo(env);
      expect(await runAuditVerify({ verifierKeys: [verifierKey] }, io)).toBe(1);
      expect(output.stdout).toContain('audit log NOT intact: first bad entry 2 (leaf-hash-mismatch)');
    });

    it('verify exits 2 for a malformed verifier key or an invalid configuration, without a verdict', async () => {
      const { env } = await deployment(1);
      const badKey = captureIo(env);
      expect(await runAuditVerify({ verifierKeys: ['rampart+zz+abc'] }, badKey.io)).toBe(2);
      expect(badKey.output.stdout).toBe('');
      const badConfig = captureIo({ ...env, RAMPART_DATABASE_URL: 'mysql://localhost/rampart' });
      expect(await runAuditVerify({}, badConfig.io)).toBe(2);
      expect(badConfig.output.stderr).toContain('RAMPART_DATABASE_URL');
    });

    it('export streams every entry as a JSON line and ends with the signed checkpoint a reader can check them against', async () => {
      const { env, verifierKey } = await deployment(11);
      const { io, output } = captureIo(env);
      expect(await runAuditExport({ format: 'jsonl' }, io)).toBe(0);
      const lines = output.stdout.trimEnd().split('\n');
      expect(lines).toHaveLength(12);
      expect(JSON.parse(lines.at(-1)!)).toMatchObject({ type: 'checkpoint', treeSize: 11 });
      expect(verifyExport(lines, verifierKey)).toEqual({ entries: 11, checkpointSize: 11 });
    });

    it('export --since starts with the subtree hashes of the entries left out, so the signed root still checks', async () => {
      const { env, verifierKey } = await deployment(11);
      const { io, output } = captureIo(env);
      expect(await runAuditExport({ format: 'jsonl', since: '6' }, io)).toBe(0);
      const lines = output.stdout.trimEnd().split('\n');
      expect(JSON.parse(lines[0]!)).toMatchObject({ type: 'prefix', treeSize: 6 });
      expect(JSON.parse(lines[1]!)).toMatchObject({ type: 'entry', seq: 6 });
      expect(verifyExport(lines, verifierKey)).toEqual({ entries: 5, checkpointSize: 11 });
    });

    it('exits 2 on usage errors: an unknown format, a bad --since, or an option commander does not know', async () => {
      const { env } = await deployment(1);
      expect(await runAuditExport({ format: 'csv' }, captureIo(env).io)).toBe(2);
      expect(await runAuditExport({ format: 'jsonl', since: '-1' }, captureIo(env).io)).toBe(2);
      const { io } = captureIo(env);
      const program = new Command().name('rampart');
      registerAuditCommand(program, io);
      await expect(program.parseAsync(['node', 'rampart', 'audit', 'verify', '--no-such-option'])).rejects.toMatchObject({ code: 2 });
    });

    it('rotate-key signs a checkpoint with a new key at once and prints it; verify passes with both keys pinned and names the old checkpoints with only the new one', async () => {
      const { env, verifierKey: oldKey } = await deployment(4);
      const rotation = captureIo(env);
      expect(await runAuditRotateKey({}, rotation.io)).toBe(0);
      const newKey = /^new verifier key: (\S+)$/m.exec(rotation.output.stdout)?.[1] as string;
      expect(newKey).toMatch(/^rampart\/[0-9a-f-]{36}\/audit\+[0-9a-f]{8}\+/);
      expect(newKey).not.toBe(oldKey);
      expect(rotation.output.stdout).toContain('audit signing key rotated: version 1 is retired, version 2 signs from now on');
      expect(rotation.output.stdout).toContain(`retired verifier key (version 1, checkpoints below 5 entries): ${oldKey}`);
      expect(rotation.output.stdout).toContain(`rampart audit verify --verifier-key ${oldKey} --verifier-key ${newKey}`);
      const note = rotation.output.stdout.slice(rotation.output.stdout.indexOf('\n\n') + 2);
      const key = parseNoteVerifierKey(newKey);
      const verdict = verifyCheckpoint(note, { origin: key.name, verifierKey: key });
      expect(verdict.isValid && verdict.checkpoint.size).toBe(5);

      const both = captureIo(env);
      expect(await runAuditVerify({ verifierKeys: [oldKey, newKey] }, both.io)).toBe(0);
      expect(both.output.stdout).toContain('audit log intact: 5 entries and 2 checkpoints checked');
      const onlyNew = captureIo(env);
      expect(await runAuditVerify({ verifierKeys: [newKey] }, onlyNew.io)).toBe(1);
      expect(onlyNew.output.stdout).toContain('audit log NOT intact at checkpoint 4 (checkpoint-key-untrusted)');
      const unpinned = captureIo(env);
      expect(await runAuditVerify({}, unpinned.io)).toBe(0);
      expect(unpinned.output.stdout).toContain(`trusted verifier key (read from the database): ${oldKey}\ntrusted verifier key (read from the database): ${newKey}`);
      expect(unpinned.output.stdout).toContain('a database writer could substitute their own');

      const checkpoint = captureIo(env);
      expect(await runAuditCheckpoint({}, checkpoint.io)).toBe(0);
      expect(checkpoint.output.stdout).toMatch(new RegExp(`^verifier key: ${newKey.replaceAll('+', '\\+')}\n`));
      expect(checkpoint.output.stdout).toContain(`retired verifier key (version 1, checkpoints below 5 entries): ${oldKey}`);
      expect(checkpoint.output.stdout).toContain('latest checkpoint: 5 entries');
    });

    it('rotate-key exits 1 and rotates nothing when the stored tree no longer extends the latest checkpoint', async () => {
      const { env, verifierKey } = await deployment(4);
      // Truncated behind the checkpoint, with the hashes, nodes and head recomputed to match.
      await database!.db.deleteFrom('audit_entries').where('seq', '=', 3).execute();
      await rewriteAllHashes(database!.db);
      const { io, output } = captureIo(env);
      expect(await runAuditRotateKey({}, io)).toBe(1);
      expect(output.stderr).toContain('Refusing to sign an audit checkpoint');
      expect(await database!.db.selectFrom('audit_signing_keys').select(['version', 'verifier_key']).execute()).toEqual([{ version: 1, verifier_key: verifierKey }]);
    });

    it('runs through commander: `rampart audit verify --verifier-key` sets the exit code', async () => {
      const { env, verifierKey } = await deployment(3);
      const { io, output } = captureIo(env);
      const program = new Command().name('rampart');
      registerAuditCommand(program, io);
      await program.parseAsync(['node', 'rampart', 'audit', 'verify', '--verifier-key', verifierKey]);
      expect(output.exitCode).toBe(0);
      expect(output.stdout).toContain('audit log intact: 3 entries');

      // Repeated: one --verifier-key per key version.
      const rotation = captureIo(env);
      expect(await runAuditRotateKey({}, rotation.io)).toBe(0);
      const newKey = /^new verifier key: (\S+)$/m.exec(rotation.output.stdout)?.[1] as string;
      const repeated = captureIo(env);
      const again = new Command().name('rampart');
      registerAuditCommand(again, repeated.io);
      await again.parseAsync(['node', 'rampart', 'audit', 'verify', '--verifier-key', verifierKey, '--verifier-key', newKey]);
      expect(repeated.output.exitCode).toBe(0);
      expect(repeated.output.stdout).toContain(`trusted verifier key (given with --verifier-key): ${verifierKey}\ntrusted verifier key (given with --verifier-key): ${newKey}`);
    });
  });
}
