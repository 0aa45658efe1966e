import { sql } from 'kysely';
import type { TestDatabase } from '../../support/databases.js';
import { startTestGateway } from '../../support/test-gateway.js';
import type { TestSecrets } from '../../support/test-gateway.js';
import type { FaultSummary } from './figures.js';
import type { SentEvent } from './meta-sender.js';

export interface StoreVerdict {
  /** Events the sender saw acknowledged. */
  acknowledged: number;
  /** Acknowledged events with at least one row under their blind index. */
  storedAcknowledged: number;
  /** Acknowledged events with no row (lost after a 200). */
  missing: string[];
  /** Events with more than one row under their blind index. */
  duplicated: string[];
  /** Rows beyond one per event, summed over every event sent. */
  extraRows: number;
  /** Acknowledged events whose row does not decrypt to what was sent. */
  undecryptable: string[];
  /** Events never acknowledged that were stored anyway (a 200 lost on the way; harmless). */
  storedWithoutAcknowledgement: number;
  /** Message rows that no event of the sender explains. */
  rowsNotFromSender: number;
  /** Time the check took, for the figures. */
  verifyMs: number;
}

const CHUNK = 400;
const DECRYPT_CONCURRENCY = 16;

/**
 * Opens the store the way a gateway does (same secrets, same keyring file) and checks the sender's
 * record against it: each event stored exactly once (counted by its keyed blind index, without
 * decrypting), and each acknowledged one decrypting to the text that was sent.
 */
export async function verifyStore(database: TestDatabase, secrets: TestSecrets, events: ReadonlyMap<string, SentEvent>): Promise<StoreVerdict> {
  const startedAt = Date.now();
  const gateway = await startTestGateway(database, { secrets, listen: false, runWorkers: false, overrides: { RAMPART_LOG_LEVEL: 'silent' } });
  try {
    const { db } = gateway.rampart.database;
    const index = gateway.rampart.index;
    const all = [...events.values()];
    const rowsByIndex = new Map<string, number>();
    for (let start = 0; start < all.length; start += CHUNK) {
      const indexes = all.slice(start, start + CHUNK).map((event) => index.messageId(event.wamid));
      const rows = await db
        .selectFrom('messages')
        .select(['wamid_index', (eb) => eb.fn.countAll<number | string>().as('rows')])
        .where('wamid_index', 'in', indexes)
        .groupBy('wamid_index')
        .execute();
      for (const row of rows) rowsByIndex.set(row.wamid_index.toString('hex'), Number(row.rows));
    }
    const rowsOf = (event: SentEvent) => rowsByIndex.get(index.messageId(event.wamid).toString('hex')) ?? 0;
    const acknowledged = all.filter((event) => event.acknowledgedAt !== null);
    const storedAcknowledged = acknowledged.filter((event) => rowsOf(event) > 0).length;
    const missing = acknowledged.filter((event) => rowsOf(event) === 0).map((event) => event.wamid);
    const duplicated = all.filter((event) => rowsOf(event) > 1).map((event) => event.wamid);
    const extraRows = all.reduce((sum, event) => sum + Math.max(0, rowsOf(event) - 1), 0);
    const storedWithoutAcknowledgement = all.filter((event) => event.acknowledgedAt === null && rowsOf(event) > 0).length;

    const undecryptable: string[] = [];
    const queue = acknowledged.filter((event) => rowsOf(event) > 0);
    await Promise.all(
      Array.from({ length: DECRYPT_CONCURRENCY }, async () => {
        for (let event = queue.pop(); event; event = queue.pop()) {
          const stored = await gateway.rampart.reader.findMessageByWamid(event.wamid).catch(() => null);
          const text = (stored?.content as { text?: { body?: unknown } } | undefined)?.text?.body;
          if (stored?.wamid !== event.wamid || text !== event.body) undecryptable.push(event.wamid);
        }
      }),
    );

    const total = await db.selectFrom('messages').select(sql<number | string>`count(*)`.as('rows')).where('direction', '=', 'inbound').executeTakeFirstOrThrow();
    const fromSender = [...rowsByIndex.values()].reduce((sum, rows) => sum + rows, 0);
    return {
      acknowledged: acknowledged.length,
      storedAcknowledged,
      missing,
      duplicated,
      extraRows,
      undecryptable,
      storedWithoutAcknowledgement,
      rowsNotFromSender: Number(total.rows) - fromSender,
      verifyMs: Date.now() - startedAt,
    };
  } finally {
    await gateway.close();
  }
}

/** The one-line summary of a webhook fault: the sender's record against the rows the check counted. */
export function summariseWebhookFault(events: ReadonlyMap<string, SentEvent>, verdict: StoreVerdict): FaultSummary {
  return {
    sent: [...events.values()].filter((event) => event.attempts > 0).length,
    acked: verdict.acknowledged,
    stored: verdict.storedAcknowledged,
    duplicates: verdict.extraRows,
    lost: verdict.missing.length,
  };
}
