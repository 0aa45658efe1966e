import { randomUUID } from 'node:crypto';
import type { Clock } from '../clock.js';
import type { Db } from '../db/database.js';
import { generateToken, hashToken } from './identity-tokens.js';
import type { SetupTokenPurpose, SetupTokenTable } from './identity.table.js';

export const SETUP_LINK_LIFETIME_MS = 24 * 3_600_000;

/** The dashboard page that takes a link; the token travels in the fragment, which browsers never send to a server or a Referer. */
export function toSetupPath(token: string): string {
  return `/setup#token=${token}`;
}

/**
 * One-time links: the first-admin bootstrap, and password setup for users created by an admin or
 * the CLI (and after an admin's reset). Random 256-bit tokens, stored hashed, 24 hours, single use.
 */
export function createSetupLinks({ db, clock }: { db: Db; clock: Clock }) {
  /**
   * While no user exists: a fresh bootstrap link (earlier ones are replaced, so the one printed
   * last is the one that works). Null once any user exists.
   */
  async function ensureBootstrapLink(): Promise<string | null> {
    return db.transaction().execute(async (trx) => {
      const anyUser = await trx.selectFrom('users').select('id').limit(1).executeTakeFirst();
      if (anyUser) {
        await trx.deleteFrom('setup_tokens').where('purpose', '=', 'bootstrap').execute();
        return null;
      }
      await trx.deleteFrom('setup_tokens').where('purpose', '=', 'bootstrap').execute();
      return toSetupPath(await insertToken(trx, 'bootstrap', null));
    });
  }

  /** A password setup link for a user; earlier unused links of that user stop working. */
  async function createPasswordLink(userId: string, executor: Db = db): Promise<string> {
    await executor.deleteFrom('setup_tokens').where('user_id', '=', userId).execute();
    return toSetupPath(await insertToken(executor, 'password', userId));
  }

  /** The unused, unexpired token row, or null. Does not use it. */
  async function findValidToken(token: string, purpose: SetupTokenPurpose, executor: Db = db): Promise<SetupTokenTable | null> {
    if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return null;
    const row = await executor.selectFrom('setup_tokens').selectAll().where('token_hash', '=', hashToken(token)).where('purpose', '=', purpose).executeTakeFirst();
    if (!row || row.used_at !== null || row.expires_at <= clock.now()) return null;
    return row;
  }

  /** Marks the token used; false when another request used it first. */
  async function useToken(tokenId: string, executor: Db): Promise<boolean> {
    const result = await executor.updateTable('setup_tokens').set({ used_at: clock.now() }).where('id', '=', tokenId).where('used_at', 'is', null).executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async function insertToken(executor: Db, purpose: SetupTokenPurpose, userId: string | null): Promise<string> {
    const token = generateToken();
    const now = clock.now();
    await executor
      .insertInto('setup_tokens')
      .values({ id: randomUUID(), token_hash: hashToken(token), purpose, user_id: userId, created_at: now, expires_at: now + SETUP_LINK_LIFETIME_MS, used_at: null })
      .execute();
    return token;
  }

  return { ensureBootstrapLink, createPasswordLink, findValidToken, useToken };
}

export type SetupLinks = ReturnType<typeof createSetupLinks>;
