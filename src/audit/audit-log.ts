/**
 * The audit log service: appends (grouped into shared transactions), the audited access path that
 * decrypting reads go through, proofs served from the stored nodes, and signed checkpoints.
 */
import type { Kysely } from 'kysely';
import type { Clock } from '../clock.js';
import type { DatabaseSchema } from '../db/database-schema.js';
import type { Db, DialectName } from '../db/database.js';
import { createGroupCommitWriter } from '../db/group-commit-writer.js';
import { AppError, isAppError } from '../errors.js';
import type { Logger } from '../logger.js';
import { appendAuditEntries } from './audit-append.js';
import type { AppendedAuditEntry } from './audit-append.js';
import { startCheckpointer, signCheckpointIfGrown } from './audit-checkpointer.js';
import type { Checkpointer } from './audit-checkpointer.js';
import type { AuditEntryInput } from './audit-entry.js';
import { assertValidAuditEntry } from './audit-entry.js';
import type { StoredAuditEntry, StoredCheckpoint } from './audit-repository.js';
import { createStoredNodeSource, listAuditEntries, readAuditHead, readLatestCheckpoint } from './audit-repository.js';
import type { AuditSigner } from './audit-signer.js';
import type { SigningKeyRecord } from './audit-signing-keys.js';
import { listSigningKeys } from './audit-signing-keys.js';
import { computeFrontierRoot, createConsistencyProof, createInclusionProof } from './merkle-tree.js';

export interface AuditLogOptions {
  db: Db;
  dialect: DialectName;
  /** Signs checkpoints with the current key version; null in a process that only appends. */
  signer: AuditSigner | null;
  clock: Clock;
  logger: Logger;
  /** Entries committed in one transaction at most (default 256). */
  maxBatch?: number;
  /** Entries waiting at most before appends are refused (default 10 000). */
  maxQueue?: number;
}

/** An access entry: the outcome is implied by the path it takes. */
export type AccessEntry = Omit<AuditEntryInput, 'outcome'>;

export interface TreeHead {
  readonly size: number;
  readonly rootHash: Buffer;
}

export function createAuditLog({ db, dialect, signer, clock, logger, maxBatch = 256, maxQueue = 10_000 }: AuditLogOptions) {
  const writer = createGroupCommitWriter<AuditEntryInput, AppendedAuditEntry>({
    db,
    maxBatch,
    maxQueue,
    // Every append locks the one head row, so a second concurrent batch would only wait for it.
    maxConcurrentBatches: 1,
    applyBatch: (trx, entries) => appendAuditEntries(trx, dialect, entries, clock.now()),
    onCommitError: (error, batchSize) => logger.warn({ err: error, batchSize }, 'audit entries failed to commit'),
  });
  const checkpointers = new Set<Checkpointer>();
  const nodes = createStoredNodeSource(db);

  /** Resolves once the entry is committed; throws (AUDIT_UNAVAILABLE) when it was not. */
  async function append(entry: AuditEntryInput): Promise<AppendedAuditEntry> {
    assertValidAuditEntry(entry);
    try {
      // Stamped now, not when its batch commits: the time is when the action happened.
      return await writer.submit({ ...entry, occurredAt: entry.occurredAt ?? clock.now() });
    } catch (error) {
      throw new AppError('AUDIT_UNAVAILABLE', 'The audit log could not record this action, so it was not carried out. Retry later.', { cause: error });
    }
  }

  /** Appends inside the caller's transaction (a role change and its entry commit together or not at all). */
  async function appendInTransaction(trx: Kysely<DatabaseSchema>, entry: AuditEntryInput): Promise<AppendedAuditEntry> {
    assertValidAuditEntry(entry);
    const [appended] = await appendAuditEntries(trx, dialect, [entry], clock.now());
    return appended as AppendedAuditEntry;
  }

  /**
   * The one path to customer plaintext: commits a `success` entry, and only then calls
   * `readPlaintext`. If the entry cannot be committed the callback is never called (fail closed).
   * If reading fails after the entry, a `failed` entry naming it follows (best effort) and the
   * read's error is rethrown.
   */
  async function auditedAccess<T>(entry: AccessEntry, readPlaintext: () => T | Promise<T>): Promise<T> {
    const appended = await append({ ...entry, outcome: 'success' });
    try {
      return await readPlaintext();
    } catch (error) {
      const reason = isAppError(error) ? error.code : 'error';
      await append({ ...entry, outcome: 'failed', details: { ...entry.details, reason, accessSeq: appended.seq } }).catch((appendError: unknown) =>
        logger.error({ err: appendError, accessSeq: appended.seq }, 'the failure of an audited read could not be recorded'),
      );
      throw error;
    }
  }

  async function readTreeHead(): Promise<TreeHead> {
    const head = await readAuditHead(db);
    return { size: head.size, rootHash: computeFrontierRoot(head.frontier) };
  }

  function requireSigner(): AuditSigner {
    if (!signer) throw new AppError('INTERNAL', 'This audit log was built without a checkpoint signer.');
    return signer;
  }

  function startCheckpointing({ intervalMs = 60_000 }: { intervalMs?: number } = {}): Checkpointer {
    const started = startCheckpointer({ db, dialect, signer: requireSigner(), clock, logger }, { intervalMs });
    checkpointers.add(started);
    return {
      signNow: started.signNow,
      stop: async () => {
        checkpointers.delete(started);
        await started.stop();
      },
    };
  }

  return {
    append,
    appendInTransaction,
    auditedAccess,
    readTreeHead,
    /** Audit path for leaf `seq` in the tree of `treeSize` entries (one read of O(log n) stored nodes). */
    proveInclusion: (seq: number, treeSize: number): Promise<Buffer[]> => createInclusionProof(nodes, seq, treeSize),
    proveConsistency: (size1: number, size2: number): Promise<Buffer[]> => createConsistencyProof(nodes, size1, size2),
    listEntries: (fromSeq: number, limit: number): Promise<StoredAuditEntry[]> => listAuditEntries(db, { fromSeq, limit: Math.min(Math.max(limit, 1), 1_000) }),
    readLatestCheckpoint: (): Promise<StoredCheckpoint | null> => readLatestCheckpoint(db),
    /** On demand: signs now if the tree grew since the latest checkpoint. */
    signCheckpoint: (): Promise<StoredCheckpoint | null> => signCheckpointIfGrown({ db, dialect, signer: requireSigner(), clock }),
    startCheckpointer: startCheckpointing,
    /** The current key's verifier key, to hand to witnesses (null without a signer); changes when the key is rotated. */
    get verifierKey(): string | null {
      return signer?.current().signer.verifierKey ?? null;
    },
    /**
     * Every key version's verifier key as the KMS vouches for it (each private key unwrapped), oldest
     * first: what this process's own verifications pin. Null without a signer.
     */
    listTrustedVerifierKeys: async (): Promise<string[] | null> => (signer ? signer.listVerifierKeys() : null),
    /** The signing key versions as the database lists them (for display: verifiers pin their own copies). */
    listSigningKeys: (): Promise<SigningKeyRecord[]> => listSigningKeys(db),
    /**
     * Stops the checkpointers, lets queued appends commit, and then (when a checkpointer was
     * running) signs a last checkpoint, so a stopped gateway leaves no entry unsigned.
     */
    async close(): Promise<void> {
      const wasCheckpointing = checkpointers.size > 0;
      await Promise.all([...checkpointers].map((checkpointer) => checkpointer.stop()));
      checkpointers.clear();
      await writer.close();
      if (wasCheckpointing && signer) {
        await signCheckpointIfGrown({ db, dialect, signer, clock }).catch((error: unknown) => logger.error({ err: error }, 'the final audit checkpoint was not signed'));
      }
    },
  };
}

export type AuditLog = ReturnType<typeof createAuditLog>;
