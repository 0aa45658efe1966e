/**
 * Rotating the checkpoint signing key (`rampart audit rotate-key`). One transaction: lock the
 * current key's row (every signer waits, or has committed), record the rotation as an entry, retire
 * the old version at the tree size that entry makes, store the new version (its private key wrapped
 * in `key_material`), publish its verifier key, and sign that tree with it. So the first checkpoint
 * of the new key covers the rotation itself, every checkpoint of the old key is smaller, and no
 * gateway stores a checkpoint of the old key once this commits (their insert checks the key's row,
 * audit-signing-keys.ts).
 */
import type { Kysely } from 'kysely';
import type { Clock } from '../clock.js';
import type { KmsProvider } from '../crypto/kms.js';
import type { DatabaseSchema } from '../db/database-schema.js';
import type { DialectName } from '../db/database.js';
import { AppError } from '../errors.js';
import { appendAuditEntries } from './audit-append.js';
import { CheckpointRefusedError, prepareCheckpoint } from './audit-checkpointer.js';
import type { AuditActor } from './audit-entry.js';
import { assertValidAuditEntry } from './audit-entry.js';
import type { StoredCheckpoint } from './audit-repository.js';
import { insertCheckpoint, readLatestCheckpoint, replacePublishedVerifierKey } from './audit-repository.js';
import type { AuditSigner } from './audit-signer.js';
import { createSigningKey, insertSigningKey, listSigningKeys, lockCurrentSigningKey, readCurrentSigningKeyVersion, retireSigningKey } from './audit-signing-keys.js';
import { createNoteSigner } from './signed-note.js';

export interface RotateAuditKeyOptions {
  db: Kysely<DatabaseSchema>;
  dialect: DialectName;
  kms: KmsProvider;
  signer: AuditSigner;
  clock: Clock;
  /** Who rotated, for the log's entry (default: the `rampart audit rotate-key` command). */
  actor?: AuditActor;
}

export interface RotatedAuditKey {
  readonly retired: { readonly version: number; readonly verifierKey: string };
  readonly current: { readonly version: number; readonly verifierKey: string };
  /** The first checkpoint of the new key: it covers the rotation's own entry. */
  readonly checkpoint: StoredCheckpoint;
}

const COMMAND_ACTOR: AuditActor = { type: 'system', id: 'audit-key-rotation', label: 'rampart audit rotate-key' };

/**
 * Throws CheckpointRefusedError (nothing changes) when the stored tree does not extend the latest
 * checkpoint, and KEY_ROTATION_REFUSED when another rotation committed first.
 */
export async function rotateAuditSigningKey({ db, dialect, kms, signer, clock, actor = COMMAND_ACTOR }: RotateAuditKeyOptions): Promise<RotatedAuditKey> {
  await signer.refresh();
  const previous = signer.current();
  const version = Math.max(0, ...(await listSigningKeys(db)).map((key) => key.version)) + 1;
  // The KMS calls happen before any lock is held: making the key, and unwrapping the key of the checkpoint the new one must extend.
  const created = await createSigningKey(kms, version);
  const next = { version, signer: createNoteSigner({ keyName: signer.origin, privateKey: created.seed }) };
  created.seed.fill(0);
  const previousVersion = (await readLatestCheckpoint(db))?.signingKeyVersion ?? null;
  if (previousVersion !== null) await signer.findVerifierKey(previousVersion);
  const entry = {
    actor,
    action: 'audit.signing-key.rotated',
    resource: { type: 'audit-signing-key', id: `v${version}` },
    outcome: 'success',
    details: { version, previousVersion: previous.version },
  } as const;
  assertValidAuditEntry(entry);

  const checkpoint = await db.transaction().execute(async (trx) => {
    if ((await lockCurrentSigningKey(trx, dialect)) !== previous.version) {
      const now = await readCurrentSigningKeyVersion(trx);
      throw new AppError('KEY_ROTATION_REFUSED', `The audit signing key was rotated meanwhile (to version ${now ?? 'none'}); run \`rampart audit rotate-key\` again to rotate once more.`);
    }
    const now = clock.now();
    const [appended] = await appendAuditEntries(trx, dialect, [entry], now);
    const treeSize = (appended?.seq ?? 0) + 1;
    await retireSigningKey(trx, previous.version, { retiredAt: now, retiredAtTreeSize: treeSize });
    await insertSigningKey(trx, created, { verifierKey: next.signer.verifierKey, now });
    await replacePublishedVerifierKey(trx, next.signer.verifierKey);
    const signed = await prepareCheckpoint(trx, { signer, key: next, now });
    // The tree just grew by the rotation's entry, so a checkpoint of this size can only sign another history.
    if (!signed) throw new CheckpointRefusedError(`a checkpoint already signs ${treeSize} entries, the size the rotation's own entry makes: the log was truncated behind it`);
    await insertCheckpoint(trx, signed);
    return signed;
  });
  await signer.refresh();
  return {
    retired: { version: previous.version, verifierKey: previous.signer.verifierKey },
    current: { version, verifierKey: next.signer.verifierKey },
    checkpoint,
  };
}
