import { createHash, randomUUID } from 'node:crypto';
import type { Clock } from '../clock.js';
import { randomBytes } from '../crypto/primitives.js';
import type { Db } from '../db/database.js';
import { AppError } from '../errors.js';

/** What an API key may do. Routes declare the scope they need; a key holds a list of them. */
export const apiKeyScopes = ['messages:send', 'messages:read', 'media:read', 'events:read', 'audit:read', 'metrics:read'] as const;
export type ApiKeyScope = (typeof apiKeyScopes)[number];

export interface ApiKeyPrincipal {
  id: string;
  name: string;
  scopes: readonly ApiKeyScope[];
}

export interface ApiKeySummary extends ApiKeyPrincipal {
  displayPrefix: string;
  createdAt: number;
  lastUsedAt: number | null;
  revokedAt: number | null;
}

/** `rmp_` + 43 base64url characters (32 random bytes): the prefix lets secret scanners recognise a leaked key. */
export const API_KEY_PREFIX = 'rmp_';
const API_KEY_FORMAT = /^rmp_[A-Za-z0-9_-]{43}$/;
const DISPLAY_PREFIX_LENGTH = API_KEY_PREFIX.length + 6;
/** `last_used_at` is written at most this often per key, so a busy key costs no write per request. */
const LAST_USED_RESOLUTION_MS = 60_000;

/**
 * API keys for the business's internal services: random, shown once, stored only as SHA-256
 * (a 256-bit random secret needs no slow hash), scoped, revocable.
 */
export function createApiKeyService({ db, clock }: { db: Db; clock: Clock }) {
  const lastUsedWrites = new Map<string, number>();

  async function createApiKey(name: string, scopes: readonly string[]): Promise<{ key: string; summary: ApiKeySummary }> {
    const trimmedName = name.trim();
    if (trimmedName.length === 0 || trimmedName.length > 100) throw new AppError('INVALID_REQUEST', 'An API key needs a name of 1 to 100 characters.');
    const validScopes = parseScopes(scopes);
    const key = `${API_KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
    const row = {
      id: randomUUID(),
      name: trimmedName,
      display_prefix: key.slice(0, DISPLAY_PREFIX_LENGTH),
      secret_hash: hashApiKey(key),
      scopes: JSON.stringify(validScopes),
      created_at: clock.now(),
      last_used_at: null,
      revoked_at: null,
    };
    await db.insertInto('api_keys').values(row).execute();
    return { key, summary: toSummary(row) };
  }

  /** The key's principal, or null for a malformed, unknown or revoked key (the caller answers 401 alike). */
  async function authenticate(presented: string): Promise<ApiKeyPrincipal | null> {
    if (!API_KEY_FORMAT.test(presented)) return null;
    // Looked up by the hash of a 256-bit random value: the index lookup reveals nothing usable.
    const row = await db.selectFrom('api_keys').selectAll().where('secret_hash', '=', hashApiKey(presented)).executeTakeFirst();
    if (!row || row.revoked_at !== null) return null;
    await recordUse(row.id);
    return { id: row.id, name: row.name, scopes: JSON.parse(row.scopes) as ApiKeyScope[] };
  }

  async function revokeApiKey(idOrPrefix: string): Promise<ApiKeySummary> {
    const rows = await db
      .selectFrom('api_keys')
      .selectAll()
      .where((eb) => eb.or([eb('id', '=', idOrPrefix), eb('display_prefix', '=', idOrPrefix)]))
      .execute();
    if (rows.length === 0) throw new AppError('NOT_FOUND', 'No API key has that id or prefix.');
    if (rows.length > 1) throw new AppError('INVALID_REQUEST', 'Several API keys share that prefix; revoke by id.');
    const row = rows[0]!;
    const revokedAt = row.revoked_at ?? clock.now();
    await db.updateTable('api_keys').set({ revoked_at: revokedAt }).where('id', '=', row.id).execute();
    return toSummary({ ...row, revoked_at: revokedAt });
  }

  async function listApiKeys(): Promise<ApiKeySummary[]> {
    const rows = await db.selectFrom('api_keys').selectAll().orderBy('created_at').execute();
    return rows.map(toSummary);
  }

  async function recordUse(id: string): Promise<void> {
    const now = clock.now();
    if (now - (lastUsedWrites.get(id) ?? 0) < LAST_USED_RESOLUTION_MS) return;
    lastUsedWrites.set(id, now);
    await db.updateTable('api_keys').set({ last_used_at: now }).where('id', '=', id).execute();
  }

  return { createApiKey, authenticate, revokeApiKey, listApiKeys };
}

export type ApiKeyService = ReturnType<typeof createApiKeyService>;

export function parseScopes(scopes: readonly string[]): ApiKeyScope[] {
  const unknown = scopes.filter((scope) => !(apiKeyScopes as readonly string[]).includes(scope));
  if (unknown.length > 0) {
    throw new AppError('INVALID_REQUEST', `Unknown scope(s): ${unknown.join(', ')}. Known scopes: ${apiKeyScopes.join(', ')}.`);
  }
  if (scopes.length === 0) throw new AppError('INVALID_REQUEST', `Give at least one scope: ${apiKeyScopes.join(', ')}.`);
  return [...new Set(scopes)] as ApiKeyScope[];
}

function hashApiKey(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
}

function toSummary(row: {
  id: string;
  name: string;
  display_prefix: string;
  scopes: string;
  created_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
}): ApiKeySummary {
  return {
    id: row.id,
    name: row.name,
    scopes: JSON.parse(row.scopes) as ApiKeyScope[],
    displayPrefix: row.display_prefix,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
    revokedAt: row.revoked_at,
  };
}
