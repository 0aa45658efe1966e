/**
 * Signed checkpoints. Before signing, the signer checks that the tree it is about to sign extends
 * the latest checkpoint (a consistency proof from the stored nodes against the signed root), so a
 * history rewritten in the database is refused rather than laundered by a fresh signature
 * (README invariant 7: never sign two checkpoints that are not consistent). Each checkpoint is
 * signed by the signing key version current when it commits, and its row names that version.
 */
import type { Kysely } from 'kysely';
import type { Clock } from '../clock.js';
import type { DatabaseSchema } from '../db/database-schema.js';
import type { DialectName } from '../db/database.js';
import { AppError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { StoredCheckpoint } from './audit-repository.js';
import { createStoredNodeSource, readAuditHead, readLatestCheckpoint } from './audit-repository.js';
import type { AuditSigner, CurrentSigningKey } from './audit-signer.js';
import { insertCheckpointIfKeyCurrent, readCurrentSigningKeyVersion } from './audit-signing-keys.js';
import { signCheckpoint, verifyCheckpoint } from './checkpoint.js';
import { computeFrontierRoot, createConsistencyProof, verifyConsistencyProof } from './merkle-tree.js';
import type { MerkleFrontier } from './merkle-tree.js';
import { parseNoteVerifierKey } from './signed-note.js';

export interface CheckpointSigning {
  db: Kysely<DatabaseSchema>;
  dialect: DialectName;
  signer: AuditSigner;
  clock: Clock;
}

export interface Checkpointer {
  /** Signs a checkpoint now if the tree grew since the latest one; null when it did not. */
  signNow(): Promise<StoredCheckpoint | null>;
  /** Stops the timer and waits for a signing in progress. */
  stop(): Promise<void>;
}

/** What signing with one given key came to: `key-retired` when another process rotated it first. */
export type KeyedSigning = { readonly status: 'signed'; readonly checkpoint: StoredCheckpoint } | { readonly status: 'unchanged' } | { readonly status: 'key-retired' };

/**
 * Signs the current tree if it grew since the latest checkpoint, with the key that is current now
 * (a rotation made elsewhere is picked up first). Safe from several processes: they sign the same
 * committed tree, and two signatures of one size by one key are the same bytes.
 */
export async function signCheckpointIfGrown(signing: CheckpointSigning): Promise<StoredCheckpoint | null> {
  // One indexed read when nothing changed; a new version is unwrapped (KMS) before anything is signed.
  await signing.signer.refresh();
  let result = await signCheckpointWithKey(signing, signing.signer.current());
  if (result.status === 'key-retired') {
    // Rotated between our refresh and our lock: one more try with the new key.
    await signing.signer.refresh();
    result = await signCheckpointWithKey(signing, signing.signer.current());
  }
  if (result.status === 'key-retired') throw new AppError('INTERNAL', 'The audit signing key was rotated twice while a checkpoint was being signed; the next one will be.');
  return result.status === 'signed' ? result.checkpoint : null;
}

/**
 * Signs with `key` only while it is the current version: the insert itself carries the check (one
 * statement: insert only if the key's row is still current; PostgreSQL holds that row shared while
 * it checks), so a rotation either waits for this checkpoint or makes it insert nothing. A retired
 * key never signs after its rotation committed.
 */
export async function signCheckpointWithKey({ db, dialect, signer, clock }: CheckpointSigning, key: CurrentSigningKey): Promise<KeyedSigning> {
  const checkpoint = await prepareCheckpoint(db, { signer, key, now: clock.now() });
  if (!checkpoint) return { status: 'unchanged' };
  if (await insertCheckpointIfKeyCurrent(db, dialect, checkpoint)) return { status: 'signed', checkpoint };
  // Nothing inserted: the key was retired meanwhile, or another process signed this size first (the same bytes).
  return (await readCurrentSigningKeyVersion(db)) === key.version ? { status: 'unchanged' } : { status: 'key-retired' };
}

/**
 * The checkpoint of the tree as it stands, signed with `key`, after proving it extends the latest
 * checkpoint (checked under the key that signed it); null when the tree did not grow. Not stored.
 */
export async function prepareCheckpoint(
  db: Kysely<DatabaseSchema>,
  { signer, key, now }: { signer: Pick<AuditSigner, 'findVerifierKey'>; key: CurrentSigningKey; now: number },
): Promise<StoredCheckpoint | null> {
  // The checkpoint first, then the head: the head only grows, so it is at least as large as any
  // checkpoint already stored. Read the other way round, another gateway signing a larger tree in
  // between would look like a truncated log (a false tamper alarm).
  const latest = await readLatestCheckpoint(db);
  const head = await readAuditHead(db);
  if (head.size === 0 || latest?.treeSize === head.size) return null;
  const rootHash = computeFrontierRoot(head.frontier);
  if (latest) await assertExtendsCheckpoint(db, signer, key.signer.keyName, latest, head.frontier, rootHash);
  return {
    treeSize: head.size,
    rootHash,
    note: signCheckpoint({ origin: key.signer.keyName, size: head.size, rootHash }, [key.signer]),
    createdAt: now,
    signingKeyVersion: key.version,
  };
}

async function assertExtendsCheckpoint(
  db: Kysely<DatabaseSchema>,
  signer: Pick<AuditSigner, 'findVerifierKey'>,
  origin: string,
  latest: StoredCheckpoint,
  frontier: MerkleFrontier,
  rootHash: Buffer,
): Promise<void> {
  // Checked under the key its row names, as the KMS vouches for it (an older version after a rotation).
  const verifierKey = latest.signingKeyVersion === null ? null : await signer.findVerifierKey(latest.signingKeyVersion);
  if (verifierKey === null) throw refusal(`the latest checkpoint (size ${latest.treeSize}) names a signing key this deployment does not hold (version ${latest.signingKeyVersion ?? 'none'})`);
  const opened = verifyCheckpoint(latest.note, { origin, verifierKey: parseNoteVerifierKey(verifierKey) });
  if (!opened.isValid) throw refusal(`the latest checkpoint (size ${latest.treeSize}) does not verify under this deployment's key version ${latest.signingKeyVersion}: ${opened.reason}`);
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
