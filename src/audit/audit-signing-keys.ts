/**
 * The checkpoint signing keys: their versions (`audit_signing_keys`) and their private keys, kept
 * wrapped by the KMS in `key_material` beside the blind-index root key. Keeping the wraps there
 * (rather than in a table of this slice) keeps them in view of KEK rotation, which rewraps every
 * `key_material` row and will not retire a KEK version while any row is still wrapped under it.
 *
 * Version 1 is the key Rampart has always had (`key_material` purpose `audit-checkpoint-signing`);
 * version N > 1 is `audit-checkpoint-signing-v<N>`. Each is wrapped for the KMS's `signing-key`
 * purpose with its own purpose as the key id, so a wrap moved to another version's row does not open.
 */
import { sql } from 'kysely';
import type { Kysely, Selectable } from 'kysely';
import type { DatabaseSchema } from '../db/database-schema.js';
import type { DialectName } from '../db/database.js';
import type { KmsProvider, WrapContext, WrappedKey } from '../crypto/kms.js';
import { randomBytes } from '../crypto/primitives.js';
import { AppError } from '../errors.js';
import type { StoredCheckpoint } from './audit-repository.js';
import type { AuditSigningKeyTable } from './audit.table.js';
import { createNoteSigner } from './signed-note.js';

type Executor = Kysely<DatabaseSchema>;

export const FIRST_SIGNING_KEY_PURPOSE = 'audit-checkpoint-signing';

export interface SigningKeyRecord {
  readonly version: number;
  /** Null only for a carried-over key until the next start fills it in. */
  readonly verifierKey: string | null;
  readonly createdAt: number;
  readonly retiredAt: number | null;
  /** Every checkpoint this key signed covers fewer entries than this (its successor's first checkpoint). */
  readonly retiredAtTreeSize: number | null;
}

/** A freshly made key: the 32-byte Ed25519 seed (the caller wipes it) and its wrap, not yet stored. */
export interface NewSigningKey {
  readonly version: number;
  readonly seed: Buffer;
  readonly wrapped: WrappedKey;
}

/** The `key_material` purpose holding a version's wrapped private key. */
export function signingKeyPurposeOf(version: number): string {
  if (!Number.isSafeInteger(version) || version < 1) throw new RangeError('signing key versions are whole numbers from 1');
  return version === 1 ? FIRST_SIGNING_KEY_PURPOSE : `${FIRST_SIGNING_KEY_PURPOSE}-v${version}`;
}

/** The context a version's key is wrapped with; KEK rotation must rewrap `key_material` rows with exactly this. */
export function signingKeyWrapContext(version: number): WrapContext {
  return { purpose: 'signing-key', keyId: signingKeyPurposeOf(version), contactId: '' };
}

export async function listSigningKeys(db: Executor): Promise<SigningKeyRecord[]> {
  const rows = await db.selectFrom('audit_signing_keys').selectAll().orderBy('version').execute();
  return rows.map(fromRow);
}

/** The version that signs now; null before the first key exists (or if a database writer retired them all). */
export async function readCurrentSigningKeyVersion(db: Executor): Promise<number | null> {
  const row = await db.selectFrom('audit_signing_keys').select('version').where('retired_at', 'is', null).executeTakeFirst();
  return row ? Number(row.version) : null;
}

/**
 * Locks the current key's row for a rotation until the caller's transaction ends and returns its
 * version: signers' guarded inserts wait for it, then see the key retired. SQLite has one writer
 * at a time: a no-op write first takes its write lock (a read first could not be upgraded once
 * another writer committed).
 */
export async function lockCurrentSigningKey(trx: Executor, dialect: DialectName): Promise<number | null> {
  if (dialect === 'sqlite') {
    await trx.updateTable('audit_signing_keys').set((eb) => ({ version: eb.ref('version') })).where('retired_at', 'is', null).execute();
  }
  const query = trx.selectFrom('audit_signing_keys').select('version').where('retired_at', 'is', null);
  const row = await (dialect === 'postgres' ? query.forUpdate() : query).executeTakeFirst();
  return row ? Number(row.version) : null;
}

/**
 * Stores a checkpoint only while the version that signed it is current, in one statement: an
 * insert of a row that exists only if the key's row is unretired (PostgreSQL locks that row shared
 * while it looks, so it waits for a rotation in progress and then sees the key retired). False when
 * nothing was inserted: the key is retired, or the size was already signed.
 */
export async function insertCheckpointIfKeyCurrent(db: Executor, dialect: DialectName, checkpoint: StoredCheckpoint): Promise<boolean> {
  const version = checkpoint.signingKeyVersion;
  if (version === null) throw new RangeError('a checkpoint names the key version that signed it');
  let isCurrent = db.selectFrom('audit_signing_keys').select('version').where('version', '=', version).where('retired_at', 'is', null);
  if (dialect === 'postgres') isCurrent = isCurrent.forShare();
  // Typed parameters: PostgreSQL reads a bare `SELECT $1` as text, whatever column it goes into.
  const binary = sql.raw(dialect === 'postgres' ? 'bytea' : 'blob');
  const result = await db
    .insertInto('audit_checkpoints')
    .columns(['tree_size', 'root_hash', 'note', 'created_at', 'signing_key_version'])
    .expression(
      db
        .selectNoFrom([
          sql<number>`cast(${checkpoint.treeSize} as bigint)`.as('tree_size'),
          sql<Buffer>`cast(${checkpoint.rootHash} as ${binary})`.as('root_hash'),
          sql<string>`cast(${checkpoint.note} as text)`.as('note'),
          sql<number>`cast(${checkpoint.createdAt} as bigint)`.as('created_at'),
          sql<number>`cast(${version} as integer)`.as('signing_key_version'),
        ])
        .where((eb) => eb.exists(isCurrent)),
    )
    .onConflict((conflict) => conflict.column('tree_size').doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
}

/** The 32-byte seed of a version, unwrapped by the KMS (which refuses a wrap made for another version). */
export async function unwrapSigningKey(db: Executor, kms: KmsProvider, version: number): Promise<Buffer> {
  const purpose = signingKeyPurposeOf(version);
  const row = await db.selectFrom('key_material').selectAll().where('purpose', '=', purpose).executeTakeFirst();
  if (!row) throw new AppError('KMS_UNAVAILABLE', `The audit signing key version ${version} is not stored (key_material ${purpose} is missing).`);
  return kms.unwrapKey({ provider: row.kek_provider, kekId: row.kek_id, kekVersion: row.kek_version, ciphertext: row.wrapped_key }, signingKeyWrapContext(version));
}

/** A new key for `version`, made and wrapped by the KMS where it can (else here, from the CSPRNG). */
export async function createSigningKey(kms: KmsProvider, version: number): Promise<NewSigningKey> {
  const context = signingKeyWrapContext(version);
  if (kms.generateKey) {
    const { key, wrapped } = await kms.generateKey(context);
    return { version, seed: key, wrapped };
  }
  const seed = randomBytes(32);
  return { version, seed, wrapped: await kms.wrapKey(seed, context) };
}

/**
 * Makes sure version 1 exists: an older Rampart's key (already in `key_material`, carried over by
 * the migration unless it was made after) or, for a new log, a new one. Safe from several
 * processes starting together: the first stored key wins and everyone reads it back.
 */
export async function ensureFirstSigningKey(db: Executor, kms: KmsProvider, origin: string, now: number): Promise<void> {
  const existing = await db.selectFrom('audit_signing_keys').select('version').limit(1).executeTakeFirst();
  if (existing) return;
  const purpose = signingKeyPurposeOf(1);
  if (!(await db.selectFrom('key_material').select('purpose').where('purpose', '=', purpose).executeTakeFirst())) {
    const created = await createSigningKey(kms, 1);
    // Another process may win the race; the stored key is read back below either way.
    created.seed.fill(0);
    await db
      .insertInto('key_material')
      .values({ purpose, ...toWrappedColumns(created.wrapped), created_at: now })
      .onConflict((conflict) => conflict.column('purpose').doNothing())
      .execute();
  }
  const seed = await unwrapSigningKey(db, kms, 1);
  const verifierKey = createNoteSigner({ keyName: origin, privateKey: seed }).verifierKey;
  seed.fill(0);
  const stored = await db.selectFrom('key_material').select('created_at').where('purpose', '=', purpose).executeTakeFirstOrThrow();
  await db
    .insertInto('audit_signing_keys')
    .values({ version: 1, verifier_key: verifierKey, created_at: Number(stored.created_at), retired_at: null, retired_at_tree_size: null })
    .onConflict((conflict) => conflict.column('version').doNothing())
    .execute();
}

/** Stores a new version as the current key, wrapped private key included (inside the rotation's transaction, after `retireSigningKey`). */
export async function insertSigningKey(trx: Executor, key: NewSigningKey, { verifierKey, now }: { verifierKey: string; now: number }): Promise<void> {
  await trx.insertInto('key_material').values({ purpose: signingKeyPurposeOf(key.version), ...toWrappedColumns(key.wrapped), created_at: now }).execute();
  await trx.insertInto('audit_signing_keys').values({ version: key.version, verifier_key: verifierKey, created_at: now, retired_at: null, retired_at_tree_size: null }).execute();
}

export async function retireSigningKey(trx: Executor, version: number, { retiredAt, retiredAtTreeSize }: { retiredAt: number; retiredAtTreeSize: number }): Promise<void> {
  await trx.updateTable('audit_signing_keys').set({ retired_at: retiredAt, retired_at_tree_size: retiredAtTreeSize }).where('version', '=', version).where('retired_at', 'is', null).execute();
}

/** Fills in the verifier key of a carried-over version once its private key has been unwrapped; returns what is stored. */
export async function recordVerifierKey(db: Executor, version: number, verifierKey: string): Promise<string | null> {
  await db.updateTable('audit_signing_keys').set({ verifier_key: verifierKey }).where('version', '=', version).where('verifier_key', 'is', null).execute();
  const row = await db.selectFrom('audit_signing_keys').select('verifier_key').where('version', '=', version).executeTakeFirst();
  return row?.verifier_key ?? null;
}

function toWrappedColumns(wrapped: WrappedKey) {
  return { kek_provider: wrapped.provider, kek_id: wrapped.kekId, kek_version: wrapped.kekVersion, wrapped_key: wrapped.ciphertext };
}

function fromRow(row: Selectable<AuditSigningKeyTable>): SigningKeyRecord {
  return {
    version: Number(row.version),
    verifierKey: row.verifier_key,
    createdAt: Number(row.created_at),
    retiredAt: row.retired_at === null ? null : Number(row.retired_at),
    retiredAtTreeSize: row.retired_at_tree_size === null ? null : Number(row.retired_at_tree_size),
  };
}
