import type { Db } from '../db/database.js';

/**
 * A failed message goes back to `queued` so its job, queued again by an operator, sends it. The
 * checks at send time still apply (24-hour window, pauses), so this cannot force a send Meta refuses.
 */
export async function requeueFailedMessage(db: Db, messageId: string, now: number): Promise<void> {
  await db
    .updateTable('outbound_messages')
    .set({ state: 'queued', error_code: null, error_reason: null, updated_at: now })
    .where('id', '=', messageId)
    .where('state', '=', 'failed')
    .execute();
}
