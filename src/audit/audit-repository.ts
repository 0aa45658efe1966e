/**
 * The audit tables' SQL, for SQLite and PostgreSQL alike. Functions take `db | trx` first; only this
 * slice calls them.
 */
import type { Kysely, Selectable } from 'kysely';
import type { DatabaseSchema } from '../db/database-schema.js';
import type { DialectName } from '../db/database.js';
import { AppError } from '../errors.js';
import type { AuditRecord } from './audit-entry.js';
import type { AuditCheckpointTable, AuditEntryTable } from './audit.table.js';
import { MERKLE_HASH_LENGTH, restoreFrontier } from './merkle-tree.js';
import type { MerkleFrontier, MerkleNode, MerkleNodeId, MerkleNodeSource } from './merkle-tree.js';

type Executor = Kysely<DatabaseSchema>;

/** An entry as stored, with the leaf hash written beside it. */
export interface StoredAuditEntry extends AuditRecord {
  readonly leafHash: Buffer;
}

export interface AuditHead {
  readonly size: number;
  readonly frontier: MerkleFrontier;
  readonly origin: string | null;
  readonly verifierKey: string | null;
}

export interface StoredCheckpoint {
  readonly treeSize: number;
  readonly rootHash: Buffer;
  readonly note: string;
  readonly createdAt: number;
  /** The signing key version the row names (null only on a row that predates key versions and had no key). */
  readonly signingKeyVersion: number | null;
}

// 15 columns a row: 400 rows stay well below SQLite's and PostgreSQL's bound-parameter limits.
const ENTRY_ROWS_PER_INSERT = 400;
const NODE_ROWS_PER_INSERT = 2_000;

/**
 * Reads the head inside the caller's transaction and holds it until commit, so appends from every
 * process are serialised. PostgreSQL: a row lock. SQLite: a no-op write first takes the database's
 * write lock, so two connections never both read the head and then race to write it.
 */
export async function lockAuditHead(trx: Executor, dialect: DialectName): Promise<AuditHead> {
  if (dialect === 'sqlite') {
    await trx.updateTable('audit_head').set((eb) => ({ size: eb.ref('size') })).where('id', '=', 1).execute();
  }
  const query = trx.selectFrom('audit_head').selectAll().where('id', '=', 1);
  const row = await (dialect === 'postgres' ? query.forUpdate() : query).executeTakeFirst();
  if (!row) throw missingHead();
  return toHead(row);
}

export async function readAuditHead(db: Executor): Promise<AuditHead> {
  const row = await db.selectFrom('audit_head').selectAll().where('id', '=', 1).executeTakeFirst();
  if (!row) throw missingHead();
  return toHead(row);
}

/** The head row as stored, unparsed: the verifier must judge a frontier that does not decode. */
export async function readRawAuditHead(db: Executor) {
  return db.selectFrom('audit_head').selectAll().where('id', '=', 1).executeTakeFirst();
}

export async function updateAuditHead(trx: Executor, frontier: MerkleFrontier, now: number): Promise<void> {
  await trx
    .updateTable('audit_head')
    .set({ size: frontier.size, frontier: encodeFrontier(frontier), updated_at: now })
    .where('id', '=', 1)
    .execute();
}

export function encodeFrontier(frontier: MerkleFrontier): Buffer {
  return Buffer.concat(frontier.hashes);
}

/** Throws RangeError when the blob does not hold exactly the hashes a frontier of `size` has. */
export function decodeFrontier(size: number, blob: Buffer): MerkleFrontier {
  if (blob.length % MERKLE_HASH_LENGTH !== 0) throw new RangeError('frontier blob is not a whole number of hashes');
  const hashes: Buffer[] = [];
  for (let offset = 0; offset < blob.length; offset += MERKLE_HASH_LENGTH) hashes.push(blob.subarray(offset, offset + MERKLE_HASH_LENGTH));
  return restoreFrontier(size, hashes);
}

/** Sets the log's origin once; every later call (any process) reads the one that was stored first. */
export async function ensureAuditOrigin(db: Executor, candidate: string): Promise<string> {
  await db.updateTable('audit_head').set({ origin: candidate }).where('id', '=', 1).where('origin', 'is', null).execute();
  const head = await readAuditHead(db);
  return head.origin as string;
}

/** Publishes a rotated key's verifier key (inside the rotation's transaction). */
export async function replacePublishedVerifierKey(trx: Executor, verifierKey: string): Promise<void> {
  await trx.updateTable('audit_head').set({ verifier_key: verifierKey }).where('id', '=', 1).execute();
}

/** Stores the verifier key if none is stored yet; returns the one stored. */
export async function publishVerifierKey(db: Executor, verifierKey: string): Promise<string> {
  await db.updateTable('audit_head').set({ verifier_key: verifierKey }).where('id', '=', 1).where('verifier_key', 'is', null).execute();
  const head = await readAuditHead(db);
  return head.verifierKey as string;
}

export async function insertAuditEntries(trx: Executor, entries: readonly StoredAuditEntry[]): Promise<void> {
  for (let start = 0; start < entries.length; start += ENTRY_ROWS_PER_INSERT) {
    await trx.insertInto('audit_entries').values(entries.slice(start, start + ENTRY_ROWS_PER_INSERT).map(toEntryRow)).execute();
  }
}

export async function insertAuditNodes(trx: Executor, nodes: readonly MerkleNode[]): Promise<void> {
  for (let start = 0; start < nodes.length; start += NODE_ROWS_PER_INSERT) {
    const rows = nodes.slice(start, start + NODE_ROWS_PER_INSERT).map(({ level, index, hash }) => ({ level, node_index: index, hash }));
    await trx.insertInto('audit_nodes').values(rows).execute();
  }
}

/** Entries with seq ≥ fromSeq, in order: one page of a streaming walk (keyset, never OFFSET). */
export async function listAuditEntries(db: Executor, { fromSeq, limit, beforeSeq }: { fromSeq: number; limit: number; beforeSeq?: number }): Promise<StoredAuditEntry[]> {
  let query = db.selectFrom('audit_entries').selectAll().where('seq', '>=', fromSeq);
  if (beforeSeq !== undefined) query = query.where('seq', '<', beforeSeq);
  const rows = await query.orderBy('seq').limit(limit).execute();
  return rows.map(fromEntryRow);
}

export async function countAuditEntries(db: Executor): Promise<number> {
  const row = await db.selectFrom('audit_entries').select((eb) => eb.fn.countAll<number | string>().as('count')).executeTakeFirstOrThrow();
  return Number(row.count);
}

export async function countAuditNodes(db: Executor): Promise<number> {
  const row = await db.selectFrom('audit_nodes').select((eb) => eb.fn.countAll<number | string>().as('count')).executeTakeFirstOrThrow();
  return Number(row.count);
}

/** The lowest entry number at or above `seq`, or null. */
export async function findFirstAuditEntryFrom(db: Executor, seq: number): Promise<number | null> {
  const row = await db.selectFrom('audit_entries').select('seq').where('seq', '>=', seq).orderBy('seq').limit(1).executeTakeFirst();
  return row ? Number(row.seq) : null;
}

/** Entries numbered below `size` (a sound log has exactly `size`; rogue rows with odd numbers count too). */
export async function countAuditEntriesBelow(db: Executor, size: number): Promise<number> {
  const row = await db.selectFrom('audit_entries').select((eb) => eb.fn.countAll<number | string>().as('count')).where('seq', '<', size).executeTakeFirstOrThrow();
  return Number(row.count);
}

/** Stored nodes at the positions of the complete subtrees of a tree of `size` leaves, or at negative positions. */
export async function countAuditNodesWithin(db: Executor, size: number): Promise<number> {
  if (size === 0) return 0;
  const levels: { level: number; bound: number }[] = [];
  for (let level = 0, width = 1; width <= size; level += 1, width *= 2) levels.push({ level, bound: Math.floor(size / width) });
  const row = await db
    .selectFrom('audit_nodes')
    .select((eb) => eb.fn.countAll<number | string>().as('count'))
    .where((eb) => eb.or(levels.map(({ level, bound }) => eb.and([eb('level', '=', level), eb('node_index', '<', bound)]))))
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

/** Stored nodes whose subtree's last leaf is in [start, end): one range per level, served by the primary key. */
export async function listNodesCompletedBetween(db: Executor, start: number, end: number): Promise<MerkleNode[]> {
  if (end <= start) return [];
  const ranges: { level: number; first: number; last: number }[] = [];
  // Node (level, i) is completed by leaf (i + 1)·2^level − 1.
  for (let level = 0, width = 1; width <= end; level += 1, width *= 2) {
    const first = Math.ceil((start + 1) / width) - 1;
    const last = Math.floor(end / width) - 1;
    if (first <= last) ranges.push({ level, first, last });
  }
  const rows = await db
    .selectFrom('audit_nodes')
    .selectAll()
    .where((eb) => eb.or(ranges.map(({ level, first, last }) => eb.and([eb('level', '=', level), eb('node_index', '>=', first), eb('node_index', '<=', last)]))))
    .execute();
  return rows.map((row) => ({ level: Number(row.level), index: Number(row.node_index), hash: row.hash }));
}

/** Proofs from the stored complete subtrees: one query of O(log n) rows per proof. */
export function createStoredNodeSource(db: Executor): MerkleNodeSource {
  return {
    async readNodeHashes(nodes: readonly MerkleNodeId[]) {
      if (nodes.length === 0) return [];
      const rows = await db
        .selectFrom('audit_nodes')
        .selectAll()
        .where((eb) => eb.or(nodes.map(({ level, index }) => eb.and([eb('level', '=', level), eb('node_index', '=', index)]))))
        .execute();
      const byId = new Map(rows.map((row) => [`${Number(row.level)}/${Number(row.node_index)}`, row.hash]));
      return nodes.map(({ level, index }) => {
        const hash = byId.get(`${level}/${index}`);
        if (hash === undefined) throw new RangeError(`audit node ${level}/${index} is not stored`);
        return hash;
      });
    },
  };
}

/** The newest checkpoint, or the newest covering at most `atMost` entries. */
export async function readLatestCheckpoint(db: Executor, atMost?: number): Promise<StoredCheckpoint | null> {
  let query = db.selectFrom('audit_checkpoints').selectAll();
  if (atMost !== undefined) query = query.where('tree_size', '<=', atMost);
  const row = await query.orderBy('tree_size', 'desc').limit(1).executeTakeFirst();
  return row ? fromCheckpointRow(row) : null;
}

export async function listCheckpoints(db: Executor, { afterSize, limit }: { afterSize: number; limit: number }): Promise<StoredCheckpoint[]> {
  const rows = await db.selectFrom('audit_checkpoints').selectAll().where('tree_size', '>', afterSize).orderBy('tree_size').limit(limit).execute();
  return rows.map(fromCheckpointRow);
}

/** A second process signing the same size signs the same bytes (Ed25519 is deterministic): keep the first. */
export async function insertCheckpoint(db: Executor, checkpoint: StoredCheckpoint): Promise<void> {
  await db
    .insertInto('audit_checkpoints')
    .values({
      tree_size: checkpoint.treeSize,
      root_hash: checkpoint.rootHash,
      note: checkpoint.note,
      created_at: checkpoint.createdAt,
      signing_key_version: checkpoint.signingKeyVersion,
    })
    .onConflict((conflict) => conflict.column('tree_size').doNothing())
    .execute();
}

function toHead(row: Selectable<DatabaseSchema['audit_head']>): AuditHead {
  const size = Number(row.size);
  return { size, frontier: decodeFrontier(size, row.frontier), origin: row.origin, verifierKey: row.verifier_key };
}

function missingHead(): AppError {
  return new AppError('STORE_UNAVAILABLE', 'The audit log has no head row: run `rampart migrate`.');
}

/** The row that stores an entry (tests use it to write tampered rows exactly as the log would). */
export function toEntryRow(entry: StoredAuditEntry): AuditEntryTable {
  return {
    seq: entry.seq,
    entry_id: entry.entryId,
    occurred_at: entry.occurredAt,
    actor_type: entry.actorType,
    actor_id: entry.actorId,
    actor_label: entry.actorLabel,
    action: entry.action,
    resource_type: entry.resourceType,
    resource_id: entry.resourceId,
    subject_contact_id: entry.subjectContactId,
    source_address: entry.sourceAddress,
    request_id: entry.requestId,
    outcome: entry.outcome,
    details: entry.details,
    leaf_hash: entry.leafHash,
  };
}

function fromEntryRow(row: Selectable<AuditEntryTable>): StoredAuditEntry {
  return {
    seq: Number(row.seq),
    entryId: row.entry_id,
    occurredAt: Number(row.occurred_at),
    actorType: row.actor_type,
    actorId: row.actor_id,
    actorLabel: row.actor_label,
    action: row.action,
    resourceType: row.resource_type,
    resourceId: row.resource_id,
    subjectContactId: row.subject_contact_id,
    sourceAddress: row.source_address,
    requestId: row.request_id,
    outcome: row.outcome,
    details: row.details,
    leafHash: row.leaf_hash,
  };
}

function fromCheckpointRow(row: Selectable<AuditCheckpointTable>): StoredCheckpoint {
  return {
    treeSize: Number(row.tree_size),
    rootHash: row.root_hash,
    note: row.note,
    createdAt: Number(row.created_at),
    signingKeyVersion: row.signing_key_version === null ? null : Number(row.signing_key_version),
  };
}
