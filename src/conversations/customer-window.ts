import type { Kysely } from 'kysely';
import type { DatabaseSchema } from '../db/database-schema.js';

/** Meta's customer-service window: free-form messages only within 24 h of the customer's last message. */
export const CUSTOMER_WINDOW_MS = 24 * 60 * 60 * 1000;

/** The last time the customer wrote (Meta's timestamp of their latest message): it opens the window. */
export async function findLastInboundAt(db: Kysely<DatabaseSchema>, contactId: string): Promise<number | null> {
  const row = await db
    .selectFrom('messages')
    .select((eb) => eb.fn.max('sent_at').as('last'))
    .where('contact_id', '=', contactId)
    .where('direction', '=', 'inbound')
    .executeTakeFirst();
  return row?.last === null || row?.last === undefined ? null : Number(row.last);
}

/** Whether a free-form message may still go out at `now`, keeping `marginMs` for it to reach Meta. */
export function isWindowOpen(lastInboundAt: number | null, now: number, marginMs = 0): boolean {
  return lastInboundAt !== null && now + marginMs < lastInboundAt + CUSTOMER_WINDOW_MS;
}
