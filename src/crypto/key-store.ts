import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { DatabaseSchema } from '../db/database-schema.js';
import type { DataKeyCache } from './data-key-cache.js';
import type { EnvelopeKeyInfo } from './envelope.js';
import type { DataKeyTable } from './key.table.js';
import type { KmsProvider, WrapContext, WrappedKey } from './kms.js';
import { randomBytes } from './primitives.js';

type Executor = Kysely<DatabaseSchema>;

export type DataKeyRow = Pick<DataKeyTable, 'id' | 'kek_provider' | 'kek_id' | 'kek_version' | 'wrapped_key'>;

export interface DataKey {
  readonly keyInfo: EnvelopeKeyInfo;
  /** A private copy (the cache hands out copies): valid for as long as the caller holds it, never written anywhere. */
  readonly key: Buffer;
}

const SYSTEM_OWNER = 'system';
const INDEX_ROOT_PURPOSE = 'blind-index-root';
const AUDIT_SIGNING_PURPOSE = 'audit-checkpoint-signing';

export function contactKeyOwner(contactId: string): string {
  return `contact:${contactId}`;
}

/** The wrap context of a `data_keys` row: its id, and the contact its owner names ('' for system data). */
export function dataKeyWrapContext(row: Pick<DataKeyTable, 'id' | 'owner'>): WrapContext {
  const contactId = row.owner.startsWith('contact:') ? row.owner.slice('contact:'.length) : '';
  return dataKeyContext(row.id, contactId);
}

const KEY_MATERIAL_CONTEXTS: Readonly<Record<string, WrapContext>> = {
  [INDEX_ROOT_PURPOSE]: { purpose: 'index-key', keyId: INDEX_ROOT_PURPOSE, contactId: '' },
  [AUDIT_SIGNING_PURPOSE]: { purpose: 'signing-key', keyId: AUDIT_SIGNING_PURPOSE, contactId: '' },
};

/** The wrap context of a `key_material` row; null for a purpose this version of Rampart does not know. */
export function keyMaterialWrapContext(purpose: string): WrapContext | null {
  if (Object.hasOwn(KEY_MATERIAL_CONTEXTS, purpose)) return KEY_MATERIAL_CONTEXTS[purpose] ?? null;
  // Audit signing keys after a rotation (src/audit/audit-signing-keys.ts): each wrapped under its own purpose.
  if (/^audit-checkpoint-signing-v[1-9][0-9]{0,9}$/.test(purpose)) return { purpose: 'signing-key', keyId: purpose, contactId: '' };
  return null;
}

/**
 * Data keys live in `data_keys`, wrapped by the KMS; unwrapped copies only in the bounded cache.
 * Deleting a contact's row there is crypto-shredding: every envelope under that key, in the
 * database and in every backup, becomes unreadable.
 */
export function createKeyStore({ kms, cache }: { kms: KmsProvider; cache: DataKeyCache }) {
  async function createDataKey(db: Executor, owner: string, contactId: string): Promise<DataKey> {
    const id = randomUUID();
    const { key, wrapped } = await generateWrappedKey(kms, dataKeyContext(id, contactId));
    await db
      .insertInto('data_keys')
      .values({ id, owner, ...toColumns(wrapped), created_at: Date.now() })
      .execute();
    cache.set(cacheKeyOf(id, contactId), Buffer.from(key));
    return { keyInfo: toKeyInfo(id, wrapped), key };
  }

  /** The key of a stored data key row, from the cache or unwrapped by the KMS; `contactId` must match the wrap. */
  async function openDataKey(row: DataKeyRow, contactId: string): Promise<DataKey> {
    const wrapped = fromColumns(row);
    // Cached per key and owner, so a row pointed at another contact's key still meets the wrap-context check.
    const cacheKey = cacheKeyOf(row.id, contactId);
    const cached = cache.get(cacheKey);
    if (cached) return { keyInfo: toKeyInfo(row.id, wrapped), key: cached };
    const key = await kms.unwrapKey(wrapped, dataKeyContext(row.id, contactId));
    cache.set(cacheKey, Buffer.from(key));
    return { keyInfo: toKeyInfo(row.id, wrapped), key };
  }

  async function getDataKey(db: Executor, id: string, contactId: string): Promise<DataKey> {
    const row = await db.selectFrom('data_keys').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    return openDataKey(row, contactId);
  }

  /** Destroys a data key: every envelope under it becomes unreadable (crypto-shredding). */
  async function deleteDataKey(db: Executor, id: string, contactId: string): Promise<void> {
    await db.deleteFrom('data_keys').where('id', '=', id).execute();
    cache.delete(cacheKeyOf(id, contactId));
  }

  /** The key for data that belongs to no customer (account and template events); made on first use. */
  async function getSystemKey(db: Executor): Promise<DataKey> {
    const row = await db.selectFrom('data_keys').select('id').where('owner', '=', SYSTEM_OWNER).executeTakeFirst();
    if (row) return getDataKey(db, row.id, '');
    return createDataKey(db, SYSTEM_OWNER, '');
  }

  /** The root of the blind indexes: created once, stored wrapped, unwrapped at start. */
  async function loadIndexRootKey(db: Executor): Promise<Buffer> {
    const context = KEY_MATERIAL_CONTEXTS[INDEX_ROOT_PURPOSE] as WrapContext;
    const row = await db.selectFrom('key_material').selectAll().where('purpose', '=', INDEX_ROOT_PURPOSE).executeTakeFirst();
    if (row) return kms.unwrapKey(fromColumns(row), context);
    const { key: unused, wrapped } = await generateWrappedKey(kms, context);
    // The stored row is read back below (another process may have won), so this copy is not needed.
    unused.fill(0);
    await db
      .insertInto('key_material')
      .values({ purpose: INDEX_ROOT_PURPOSE, ...toColumns(wrapped), created_at: Date.now() })
      .onConflict((conflict) => conflict.column('purpose').doNothing())
      .execute();
    // Another process may have won the race to create it; the stored one is the truth.
    const stored = await db.selectFrom('key_material').selectAll().where('purpose', '=', INDEX_ROOT_PURPOSE).executeTakeFirstOrThrow();
    return kms.unwrapKey(fromColumns(stored), context);
  }

  /**
   * The 32-byte Ed25519 seed that signs audit checkpoints: created once, stored wrapped, unwrapped
   * at start, wrapped for the KMS's `signing-key` purpose.
   */
  async function loadAuditSigningKey(db: Executor): Promise<Buffer> {
    const purpose = AUDIT_SIGNING_PURPOSE;
    const context = KEY_MATERIAL_CONTEXTS[AUDIT_SIGNING_PURPOSE] as WrapContext;
    const row = await db.selectFrom('key_material').selectAll().where('purpose', '=', purpose).executeTakeFirst();
    if (row) return kms.unwrapKey(fromColumns(row), context);
    const { key: unused, wrapped } = await generateWrappedKey(kms, context);
    // The stored row is read back below (another process may have won), so this copy is not needed.
    unused.fill(0);
    await db
      .insertInto('key_material')
      .values({ purpose, ...toColumns(wrapped), created_at: Date.now() })
      .onConflict((conflict) => conflict.column('purpose').doNothing())
      .execute();
    // Two gateways starting together: the stored key is the one every process must sign with.
    const stored = await db.selectFrom('key_material').selectAll().where('purpose', '=', purpose).executeTakeFirstOrThrow();
    return kms.unwrapKey(fromColumns(stored), context);
  }

  return { createDataKey, openDataKey, getDataKey, deleteDataKey, getSystemKey, loadIndexRootKey, loadAuditSigningKey };
}

export type KeyStore = ReturnType<typeof createKeyStore>;

/** A fresh 32-byte key and its wrap: made by the KMS where it can (GenerateDataKey), else here. */
async function generateWrappedKey(kms: KmsProvider, context: WrapContext): Promise<{ key: Buffer; wrapped: WrappedKey }> {
  if (kms.generateKey) return kms.generateKey(context);
  const key = randomBytes(32);
  return { key, wrapped: await kms.wrapKey(key, context) };
}

function cacheKeyOf(keyId: string, contactId: string): string {
  return `${keyId}\0${contactId}`;
}

function dataKeyContext(keyId: string, contactId: string): WrapContext {
  return { purpose: 'data-key', keyId, contactId };
}

function toKeyInfo(dataKeyId: string, wrapped: WrappedKey): EnvelopeKeyInfo {
  return { kekProvider: wrapped.provider, kekId: wrapped.kekId, kekVersion: wrapped.kekVersion, dataKeyId };
}

function toColumns(wrapped: WrappedKey) {
  return {
    kek_provider: wrapped.provider,
    kek_id: wrapped.kekId,
    kek_version: wrapped.kekVersion,
    wrapped_key: wrapped.ciphertext,
  };
}

function fromColumns(row: { kek_provider: string; kek_id: string; kek_version: number; wrapped_key: Buffer }): WrappedKey {
  return { provider: row.kek_provider, kekId: row.kek_id, kekVersion: row.kek_version, ciphertext: row.wrapped_key };
}
