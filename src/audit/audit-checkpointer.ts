/**
 * Signed checkpoints. Before signing, the signer checks that the tree it is about to sign extends
 * the latest checkpoint (a consistency proof from the stored nodes against the signed root), so a
 * history rewritten in the database is refused rather than laundered by a fresh signature
 * (README invariant 7: never sign two checkpoints that are not consistent).
 */
import type { Kysely } from 'kysely';
import type { Clock } from '../clock.js';
import type { DatabaseSchema } from '../db/database-schema.js';
import { AppError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { StoredCheckpoint } from './audit-repository.js';
import { createStoredNodeSource, insertCheckpoint, readAuditHead, readLatestCheckpoint } from './audit-repository.js';
import { signCheckpoint, verifyCheckpoint } from './checkpoint.js';
import { computeFrontierRoot, createConsistencyProof, verifyConsistencyProof } from './merkle-tree.js';
import type { MerkleFrontier } from './merkle-tree.js';
import type { NoteSigner } from './signed-note.js';
import { parseNoteVerifierKey } from './signed-note.js';

export interface CheckpointSigning {
  db: Kysely<DatabaseSchema>;
  signer: NoteSigner;
  clock: Clock;
}

export interface Checkpointer {
  /** Signs a checkpoint now if the tree grew since the latest one; null when it did not. */
  signNow(): Promise<StoredCheckpoint | null>;
  /** Stops the timer and waits for a signing in progress. */
  stop(): Promise<void>;
}

/**
 * Signs the current tree if it grew since the latest checkpoint. Safe from several processes: they
 * sign the same committed tree, and two signatures of one size are the same bytes.
 */
export async function signCheckpointIfGrown({ db, signer, clock }: CheckpointSigning): Promise<StoredCheckpoint | null> {
  const head = await readAuditHead(db);
  const latest = await readLatestCheckpoint(db);
  if (head.size === 0 || latest?.treeSize === head.size) return null;
  const rootHash = computeFrontierRoot(head.frontier);
  if (latest) await assertExtendsCheckpoint(db, signer, latest, head.frontier, rootHash);
  const checkpoint: StoredCheckpoint = {
    treeSize: head.size,
    rootHash,
    note: signCheckpoint({ origin: signer.keyName, size: head.size, rootHash }, [signer]),
    createdAt: clock.now(),
  };
  await insertCheckpoint(db, checkpoint);
  return checkpoint;
}

async function assertExtendsCheckpoint(
  db: Kysely<DatabaseSchema>,
  signer: NoteSigner,
  latest: StoredCheckpoint,
  frontier: MerkleFrontier,
  rootHash: Buffer,
): Promise<void> {
  const opened = verifyCheckpoint(latest.note, { origin: signer.keyName, verifierKey: parseNoteVerifierKey(signer.verifierKey) });
  if (!opened.isValid) throw refusal(`the latest checkpoint (size ${latest.treeSize}) does not verify under this deployment's key: ${opened.reason}`);
  const signed = opened.checkpoint;
  if (signed.size > frontier.size) throw refusal(`the log holds ${frontier.size} entries, fewer than the ${signed.size} its latest checkpoint signed`);
  const proof = await createConsistencyProof(createStoredNodeSource(db), signed.size, frontier.size).catch((error: unknown) => {
    throw refusal('the stored tree cannot prove it extends the latest checkpoint', error);
  });
  const verdict = verifyConsistencyProof({ size1: signed.size, size2: frontier.size, root1: signed.rootHash, root2: rootHash, proof });
  if (!verdict.isValid) throw refusal(`the stored tree does not extend the latest checkpoint (size ${signed.size}): ${verdict.reason}`);
}

/** The signer found the stored tree does not extend what it signed before: evidence of tampering, not an outage. */
export class CheckpointRefusedError extends AppError {
  constructor(why: string, options?: { cause?: unknown }) {
    super('INTERNAL', `Refusing to sign an audit checkpoint: ${why}. Run \`rampart audit verify\`.`, options);
    this.name = 'CheckpointRefusedError';
  }
}

function refusal(why: string, cause?: unknown): CheckpointRefusedError {
  return new CheckpointRefusedError(why, { cause });
}

export function startCheckpointer(signing: CheckpointSigning & { logger: Logger }, { intervalMs }: { intervalMs: number }): Checkpointer {
  if (!Number.isFinite(intervalMs) || intervalMs <= 0) throw new RangeError('checkpoint interval must be a positive number of milliseconds');
  let inFlight: Promise<void> | null = null;
  const tick = () => {
    // One signing at a time per process: a slow database must not pile up overlapping ticks.
    if (inFlight) return;
    inFlight = signCheckpointIfGrown(signing)
      .then(
        (checkpoint) => {
          if (checkpoint) signing.logger.debug({ treeSize: checkpoint.treeSize }, 'audit checkpoint signed');
        },
        (error: unknown) => signing.logger.error({ err: error }, 'audit checkpoint not signed'),
      )
      .finally(() => {
        inFlight = null;
      });
  };
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  return {
    signNow: () => signCheckpointIfGrown(signing),
    async stop() {
      clearInterval(timer);
      await inFlight;
    },
  };
}
