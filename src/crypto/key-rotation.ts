/**
 * KEK rotation as a workflow: make a new KEK version, move every wrapped key onto it while the
 * gateways keep running, then retire the old version once nothing is wrapped under it.
 *
 * Online and resumable by construction: a rewrap changes one row at a time with a compare-and-set
 * (the row must still hold the wrap that was read), both versions unwrap until the old one is
 * retired, and what is left to do is simply every row not yet on the current version — so an
 * interrupted run is finished by running `rewrap` again, and readers never meet a key they cannot open.
 */
import type { Kysely } from 'kysely';
import type { Clock } from '../clock.js';
import type { DatabaseSchema } from '../db/database-schema.js';
import { AppError } from '../errors.js';
import { dataKeyWrapContext, keyMaterialWrapContext } from './key-store.js';
import type { KekVersionInfo, KmsProvider, WrapContext, WrappedKey } from './kms.js';

type Executor = Kysely<DatabaseSchema>;

/** Tables holding keys wrapped by the KMS; each row's wrap context is derived from the row. */
export type WrappedKeyTable = 'data_keys' | 'key_material';

export interface RewrapProgress {
  table: WrappedKeyTable;
  /** Rows moved to the current version so far in this run (all tables). */
  rewrapped: number;
  /** Rows that were on an older version when the run counted them (all tables). */
  total: number;
}

export interface RewrapReport {
  toVersion: number;
  rewrapped: Record<WrappedKeyTable, number>;
  /** Rows that changed under us (deleted by an erasure, rewrapped by another run) and were left alone. */
  skipped: number;
  /** Rows the KMS could not move (a damaged or foreign wrap): ids and reasons, never key bytes. */
  failures: { table: WrappedKeyTable; key: string; reason: string }[];
  /** Rows still on an older version after the run: 0 unless something failed. */
  remaining: number;
  /** Passes over the tables; the last one found nothing left to move. */
  passes: number;
}

export interface KekVersionStatus extends KekVersionInfo {
  isCurrent: boolean;
  /** Wrapped keys of this provider and KEK under this version, per table. */
  wrappedKeys: Record<WrappedKeyTable, number>;
}

export interface KeyRotationStatus {
  provider: string;
  kekId: string;
  currentVersion: number;
  /** False for aws-kms, which rotates inside the key. */
  canRotate: boolean;
  versions: KekVersionStatus[];
  /** Rows wrapped by another provider or KEK (left from a provider migration): rotation cannot move them. */
  foreignWrappedKeys: number;
}

export interface KeyRotationOptions {
  db: Executor;
  kms: KmsProvider;
  clock: Clock;
  /** Rows per read and per update transaction (default 500). */
  batchSize?: number;
  /** KMS calls in flight at once within a batch (default 8): remote KMSs are slow per call, not per batch. */
  concurrency?: number;
  /**
   * How long after a new version other gateways may still wrap under the old one (their refresh
   * interval, 5 s, plus margin); the rewrap makes one more pass after this has passed.
   */
  settleMs?: number;
  /** Waits `ms` (tests pass a fake). */
  sleep?: (ms: number) => Promise<void>;
}

const TABLES: readonly WrappedKeyTable[] = ['data_keys', 'key_material'];

interface WrappedRow {
  table: WrappedKeyTable;
  /** `id` for data_keys, `purpose` for key_material. */
  key: string;
  context: WrapContext;
  wrapped: WrappedKey;
}

export function createKeyRotation(options: KeyRotationOptions) {
  const { db, kms, clock, batchSize = 500, concurrency = 8, settleMs = 7_000 } = options;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));

  async function status(): Promise<KeyRotationStatus> {
    await kms.refresh();
    const currentVersion = kms.currentVersion();
    const versions: KekVersionInfo[] = kms.rotation
      ? await kms.rotation.listVersions()
      : [{ version: currentVersion, state: 'active', createdAt: null }];
    const counts = await countWrappedKeys();
    const ours = (table: WrappedKeyTable, version: number) =>
      counts.find((row) => row.table === table && row.provider === kms.provider && row.kekId === kms.kekId && row.version === version)?.count ?? 0;
    const known = new Set(versions.map((entry) => entry.version));
    // Rows under a version the KMS does not list (e.g. aws-kms's single version 1) still count.
    for (const row of counts) {
      if (row.provider === kms.provider && row.kekId === kms.kekId && !known.has(row.version)) {
        known.add(row.version);
        versions.push({ version: row.version, state: 'retired', createdAt: null });
      }
    }
    return {
      provider: kms.provider,
      kekId: kms.kekId,
      currentVersion,
      canRotate: kms.rotation !== undefined,
      versions: versions
        .sort((a, b) => a.version - b.version)
        .map((entry) => ({
          ...entry,
          isCurrent: entry.version === currentVersion,
          wrappedKeys: { data_keys: ours('data_keys', entry.version), key_material: ours('key_material', entry.version) },
        })),
      foreignWrappedKeys: counts
        .filter((row) => row.provider !== kms.provider || row.kekId !== kms.kekId)
        .reduce((sum, row) => sum + row.count, 0),
    };
  }

  /** Creates the next KEK version and moves every wrapped key onto it. */
  async function rotate(onProgress?: (progress: RewrapProgress) => void): Promise<RewrapReport & { fromVersion: number }> {
    const rotation = requireRotation();
    await kms.refresh();
    const fromVersion = kms.currentVersion();
    const toVersion = await rotation.createVersion();
    const createdAt = clock.now();
    const report = await rewrap(onProgress, { settleUntil: createdAt + settleMs });
    return { ...report, fromVersion, toVersion };
  }

  /**
   * Moves every wrapped key of this KEK that is not on the current version onto it. Passes repeat
   * until one finds nothing, and the last starts after `settleUntil`, when every gateway wraps new keys
   * under the current version.
   */
  async function rewrap(
    onProgress?: (progress: RewrapProgress) => void,
    { settleUntil = clock.now() + settleMs }: { settleUntil?: number } = {},
  ): Promise<RewrapReport> {
    await kms.refresh();
    const toVersion = kms.currentVersion();
    const rewrapped: Record<WrappedKeyTable, number> = { data_keys: 0, key_material: 0 };
    let skipped = 0;
    let passes = 0;
    const failures = new Map<string, RewrapReport['failures'][number]>();
    for (;;) {
      const total = rewrapped.data_keys + rewrapped.key_material + (await countBehind(toVersion));
      passes += 1;
      let moved = 0;
      for (const table of TABLES) {
        let after = '';
        for (;;) {
          const rows = await readBehind(table, toVersion, after);
          if (rows.length === 0) break;
          after = rows[rows.length - 1]?.key ?? after;
          const results = await mapWithConcurrency(rows, concurrency, async (row) => {
            try {
              return await rewrapOne(row, toVersion);
            } catch (error) {
              failures.set(`${table}\0${row.key}`, { table, key: row.key, reason: describeFailure(error) });
              return null;
            }
          });
          const updated = await writeRewrapped(table, rows, results);
          rewrapped[table] += updated;
          moved += updated;
          skipped += results.filter((result) => result !== null).length - updated;
          onProgress?.({ table, rewrapped: rewrapped.data_keys + rewrapped.key_material, total });
        }
      }
      if (moved === 0 && clock.now() >= settleUntil) break;
      // Keys made by a gateway that had not yet seen the new version land behind us; wait them out.
      if (moved === 0) await sleep(Math.min(1_000, settleUntil - clock.now()));
    }
    const remaining = await countBehind(toVersion);
    return { toVersion, rewrapped, skipped, passes, failures: [...failures.values()], remaining };
  }

  /** Retires `version` after checking that nothing of ours is still wrapped under it. */
  async function retire(version: number): Promise<void> {
    const rotation = requireRotation();
    await kms.refresh();
    if (version === kms.currentVersion()) {
      throw new AppError('KEY_ROTATION_REFUSED', `Version ${version} is the current KEK version of ${kms.kekId}; run \`rampart keys rotate\` first`);
    }
    const dependants = (await countWrappedKeys()).filter(
      (row) => row.provider === kms.provider && row.kekId === kms.kekId && row.version === version,
    );
    const count = dependants.reduce((sum, row) => sum + row.count, 0);
    if (count > 0) {
      throw new AppError(
        'KEY_ROTATION_REFUSED',
        `${count} wrapped key(s) still depend on KEK version ${version} of ${kms.kekId} ` +
          `(${dependants.map((row) => `${row.table}: ${row.count}`).join(', ')}); run \`rampart keys rewrap\` first`,
      );
    }
    await rotation.retireVersion(version);
  }

  function requireRotation() {
    if (!kms.rotation) {
      throw new AppError(
        'KEY_ROTATION_REFUSED',
        `The ${kms.provider} provider rotates its key inside the KMS (enable automatic rotation or rotate on demand there); ` +
          'every wrap keeps unwrapping, so there is nothing for Rampart to rewrap or retire',
      );
    }
    return kms.rotation;
  }

  async function rewrapOne(row: WrappedRow, toVersion: number): Promise<WrappedKey | null> {
    if (kms.rewrapKey) return kms.rewrapKey(row.wrapped, row.context);
    const key = await kms.unwrapKey(row.wrapped, row.context);
    try {
      const wrapped = await kms.wrapKey(key, row.context);
      // A gateway-side refresh between our version check and this wrap cannot move us backwards.
      return wrapped.kekVersion >= toVersion ? wrapped : null;
    } finally {
      key.fill(0);
    }
  }

  async function writeRewrapped(table: WrappedKeyTable, rows: readonly WrappedRow[], results: readonly (WrappedKey | null)[]): Promise<number> {
    return db.transaction().execute(async (trx) => {
      let updated = 0;
      for (const [index, row] of rows.entries()) {
        const next = results[index];
        if (!next) continue;
        const values = { kek_provider: next.provider, kek_id: next.kekId, kek_version: next.kekVersion, wrapped_key: next.ciphertext };
        // Compare-and-set: a row erased or rewrapped by someone else since we read it is left as it is.
        const result =
          table === 'data_keys'
            ? await trx.updateTable('data_keys').set(values).where('id', '=', row.key)
                .where('kek_version', '=', row.wrapped.kekVersion).where('wrapped_key', '=', row.wrapped.ciphertext).executeTakeFirst()
            : await trx.updateTable('key_material').set(values).where('purpose', '=', row.key)
                .where('kek_version', '=', row.wrapped.kekVersion).where('wrapped_key', '=', row.wrapped.ciphertext).executeTakeFirst();
        updated += Number(result.numUpdatedRows);
      }
      return updated;
    });
  }

  async function readBehind(table: WrappedKeyTable, toVersion: number, after: string): Promise<WrappedRow[]> {
    if (table === 'data_keys') {
      const rows = await db
        .selectFrom('data_keys')
        .select(['id', 'owner', 'kek_provider', 'kek_id', 'kek_version', 'wrapped_key'])
        .where('kek_provider', '=', kms.provider)
        .where('kek_id', '=', kms.kekId)
        .where('kek_version', '<', toVersion)
        .where('id', '>', after)
        .orderBy('id')
        .limit(batchSize)
        .execute();
      return rows.map((row) => ({ table, key: row.id, context: dataKeyWrapContext(row), wrapped: toWrapped(row) }));
    }
    const rows = await db
      .selectFrom('key_material')
      .selectAll()
      .where('kek_provider', '=', kms.provider)
      .where('kek_id', '=', kms.kekId)
      .where('kek_version', '<', toVersion)
      .where('purpose', '>', after)
      .orderBy('purpose')
      .limit(batchSize)
      .execute();
    return rows.map((row) => {
      const context = keyMaterialWrapContext(row.purpose);
      if (!context) {
        throw new AppError('KEY_ROTATION_REFUSED', `key_material holds a key for purpose "${row.purpose}" that this Rampart does not know; upgrade Rampart before rotating`);
      }
      return { table, key: row.purpose, context, wrapped: toWrapped(row) };
    });
  }

  async function countBehind(toVersion: number): Promise<number> {
    const counts = await countWrappedKeys();
    return counts
      .filter((row) => row.provider === kms.provider && row.kekId === kms.kekId && row.version < toVersion)
      .reduce((sum, row) => sum + row.count, 0);
  }

  async function countWrappedKeys(): Promise<{ table: WrappedKeyTable; provider: string; kekId: string; version: number; count: number }[]> {
    const results = [];
    for (const table of TABLES) {
      const rows = await db
        .selectFrom(table)
        .select(['kek_provider', 'kek_id', 'kek_version'])
        .select((eb) => eb.fn.countAll<string | number | bigint>().as('count'))
        .groupBy(['kek_provider', 'kek_id', 'kek_version'])
        .execute();
      for (const row of rows) {
        results.push({ table, provider: row.kek_provider, kekId: row.kek_id, version: Number(row.kek_version), count: Number(row.count) });
      }
    }
    return results;
  }

  return { status, rotate, rewrap, retire };
}

export type KeyRotation = ReturnType<typeof createKeyRotation>;

function describeFailure(error: unknown): string {
  return error instanceof AppError ? `${error.code}: ${error.message}` : 'unexpected error (see the log)';
}

function toWrapped(row: { kek_provider: string; kek_id: string; kek_version: number; wrapped_key: Buffer }): WrappedKey {
  return { provider: row.kek_provider, kekId: row.kek_id, kekVersion: row.kek_version, ciphertext: row.wrapped_key };
}

async function mapWithConcurrency<T, R>(items: readonly T[], limit: number, map: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  async function work(): Promise<void> {
    while (next < items.length) {
      const index = next;
      next += 1;
      results[index] = await map(items[index] as T);
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, work));
  return results;
}
