import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Clock } from '../clock.js';
import type { Db } from '../db/database.js';

export const RECOVERY_CODE_COUNT = 10;
/** Crockford's base32 without I, L, O, U: nothing to misread when typed from paper. */
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

/**
 * Ten single-use recovery codes of 80 random bits each, shown once, stored as SHA-256 over the
 * user id and the code (80 bits need no slow hash). Using one is an atomic conditional update.
 */
export function createRecoveryCodes({ db, clock }: { db: Db; clock: Clock }) {
  /** Replaces the user's codes with ten new ones and returns them (the only time they are visible). */
  async function generateCodes(userId: string, executor: Db = db): Promise<string[]> {
    const codes = Array.from({ length: RECOVERY_CODE_COUNT }, generateCode);
    const now = clock.now();
    await executor.deleteFrom('recovery_codes').where('user_id', '=', userId).execute();
    await executor
      .insertInto('recovery_codes')
      .values(codes.map((code) => ({ id: randomUUID(), user_id: userId, code_hash: hashCode(userId, code), created_at: now, used_at: null })))
      .execute();
    return codes;
  }

  /** True once per code: the first use marks it used. */
  async function useCode(userId: string, code: string): Promise<boolean> {
    const normalised = normaliseCode(code);
    if (normalised === null) return false;
    const result = await db
      .updateTable('recovery_codes')
      .set({ used_at: clock.now() })
      .where('user_id', '=', userId)
      .where('code_hash', '=', hashCode(userId, normalised))
      .where('used_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async function countUnused(userId: string): Promise<number> {
    const row = await db
      .selectFrom('recovery_codes')
      .select((eb) => eb.fn.countAll<number>().as('count'))
      .where('user_id', '=', userId)
      .where('used_at', 'is', null)
      .executeTakeFirstOrThrow();
    return Number(row.count);
  }

  async function removeCodes(userId: string, executor: Db = db): Promise<void> {
    await executor.deleteFrom('recovery_codes').where('user_id', '=', userId).execute();
  }

  return { generateCodes, useCode, countUnused, removeCodes };
}

export type RecoveryCodes = ReturnType<typeof createRecoveryCodes>;

/** `xxxx-xxxx-xxxx-xxxx`: 16 base32 characters, 80 bits. */
function generateCode(): string {
  const bytes = randomBytes(16);
  // 256 is a multiple of 32: taking each byte modulo 32 keeps the characters uniform.
  const characters = [...bytes].map((byte) => ALPHABET[byte % 32]!).join('');
  return characters.match(/.{4}/g)!.join('-');
}

/** Lower case, separators and spaces dropped, the look-alikes Crockford maps (i, l → 1; o → 0). */
function normaliseCode(code: string): string | null {
  const compact = code.toLowerCase().replace(/[\s-]/g, '').replace(/[il]/g, '1').replace(/o/g, '0');
  if (!/^[0-9a-hjkmnp-tv-z]{16}$/.test(compact)) return null;
  return compact.match(/.{4}/g)!.join('-');
}

function hashCode(userId: string, code: string): Buffer {
  return createHash('sha256').update(`${userId}\n${code}`, 'utf8').digest();
}
