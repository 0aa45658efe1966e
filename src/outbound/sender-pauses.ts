import type { Clock } from '../clock.js';
import type { Db } from '../db/database.js';
import type { Trx } from '../db/group-commit-writer.js';

const REFRESH_MS = 2_000;

/**
 * Business numbers the sender must not use for now (spam limit, dead access token), shared
 * through the database so every gateway process stops, read at most every two seconds.
 */
export function createSenderPauses({ db, clock }: { db: Db; clock: Clock }) {
  let pausedUntil = new Map<string, number | null>();
  let loadedAt = -Infinity;

  async function refresh(): Promise<void> {
    const rows = await db.selectFrom('sender_pauses').select(['phone_number_id', 'paused_until']).execute();
    pausedUntil = new Map(rows.map((row) => [row.phone_number_id, row.paused_until === null ? null : Number(row.paused_until)]));
    loadedAt = clock.now();
  }

  /** Milliseconds until the number may send again: 0 when it may send now, Infinity until an operator resumes it. */
  async function remainingPause(phoneNumberId: string): Promise<number> {
    if (clock.now() - loadedAt > REFRESH_MS) await refresh();
    if (!pausedUntil.has(phoneNumberId)) return 0;
    const until = pausedUntil.get(phoneNumberId);
    return until === null || until === undefined ? Infinity : Math.max(0, until - clock.now());
  }

  async function pause(trx: Trx, phoneNumberId: string, pause: { reason: string; errorCode: number | null; pausedUntil: number | null }): Promise<void> {
    await trx
      .insertInto('sender_pauses')
      .values({ phone_number_id: phoneNumberId, reason: pause.reason, error_code: pause.errorCode, paused_until: pause.pausedUntil, created_at: clock.now() })
      .onConflict((conflict) =>
        conflict.column('phone_number_id').doUpdateSet({ reason: pause.reason, error_code: pause.errorCode, paused_until: pause.pausedUntil, created_at: clock.now() }),
      )
      .execute();
    pausedUntil.set(phoneNumberId, pause.pausedUntil);
  }

  async function resume(phoneNumberId?: string): Promise<number> {
    const result = await db
      .deleteFrom('sender_pauses')
      .$if(phoneNumberId !== undefined, (query) => query.where('phone_number_id', '=', phoneNumberId!))
      .executeTakeFirst();
    await refresh();
    return Number(result.numDeletedRows);
  }

  async function listPauses() {
    return db.selectFrom('sender_pauses').selectAll().execute();
  }

  return { remainingPause, pause, resume, listPauses };
}

export type SenderPauses = ReturnType<typeof createSenderPauses>;
