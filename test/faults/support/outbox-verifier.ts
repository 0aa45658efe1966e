import type { CloudApiEmulator } from '../../../src/sandbox/cloud-api-emulator.js';
import type { TestDatabase } from '../../support/databases.js';
import { startTestGateway } from '../../support/test-gateway.js';
import type { TestSecrets } from '../../support/test-gateway.js';
import type { AcceptedSend, ApiSenderReport } from './api-sender.js';
import type { FaultSummary } from './figures.js';

export interface OutboxVerdict {
  accepted: number;
  /** Accepted sends the emulator (Meta) never received. */
  undelivered: string[];
  /** Messages Meta received more than once, and when (ms since the epoch) each copy arrived. */
  duplicates: Record<string, number[]>;
  /** Deliveries beyond the first, summed. */
  extraDeliveries: number;
  /** Texts Meta received that no accepted send explains. */
  unexplained: string[];
  /** Outbound message rows in the store, and accepted ids with no row (or rows no accepted id explains). */
  outboundRows: number;
  /** Accepted sends whose message row is in the store. */
  acceptedWithRow: number;
  /** Accepted sends that never reached Meta or have no row: lost after a 202. */
  lost: string[];
  acceptedIdsWithoutRow: number;
  rowsWithoutAcceptedId: number;
  /** send-message jobs by state. */
  jobs: Record<string, number>;
}

/** What Meta (the emulator) accepted from the gateways: the text of each message and when. */
export function deliveredMessages(emulator: CloudApiEmulator): { text: string; at: number }[] {
  return emulator
    .sentMessages()
    .filter((message) => message.direction === 'outbound')
    .map((message) => ({ text: (message.content as { text?: string }).text ?? '', at: Date.parse(message.timestamp) }));
}

export function deliveredTexts(emulator: CloudApiEmulator): string[] {
  return deliveredMessages(emulator).map((message) => message.text);
}

/** Compares what the API accepted, what Meta (the emulator) received, and what the store holds. */
export async function verifyOutbox(database: TestDatabase, secrets: TestSecrets, accepted: readonly AcceptedSend[], emulator: CloudApiEmulator): Promise<OutboxVerdict> {
  const deliveries = new Map<string, number[]>();
  for (const { text, at } of deliveredMessages(emulator)) deliveries.set(text, [...(deliveries.get(text) ?? []), at]);
  const acceptedTexts = new Set(accepted.map((send) => send.text));
  const duplicates = Object.fromEntries([...deliveries].filter(([, times]) => times.length > 1));
  const store = await startTestGateway(database, { secrets, listen: false, runWorkers: false, overrides: { RAMPART_LOG_LEVEL: 'silent' } });
  try {
    const { db } = store.rampart.database;
    const rows = await db.selectFrom('outbound_messages').select('id').execute();
    const rowIds = new Set(rows.map((row) => row.id));
    const acceptedIds = new Set(accepted.map((send) => send.id));
    const jobs = await db.selectFrom('outbox_jobs').select(['state', (eb) => eb.fn.countAll<number | string>().as('jobs')]).where('kind', '=', 'send-message').groupBy('state').execute();
    const undelivered = accepted.filter((send) => !deliveries.has(send.text)).map((send) => send.key);
    const withoutRow = accepted.filter((send) => !rowIds.has(send.id)).map((send) => send.key);
    return {
      accepted: accepted.length,
      undelivered,
      duplicates,
      extraDeliveries: Object.values(duplicates).reduce((sum, times) => sum + times.length - 1, 0),
      unexplained: [...deliveries.keys()].filter((text) => !acceptedTexts.has(text)),
      outboundRows: rows.length,
      acceptedWithRow: accepted.length - withoutRow.length,
      lost: [...new Set([...undelivered, ...withoutRow])],
      acceptedIdsWithoutRow: [...acceptedIds].filter((id) => !rowIds.has(id)).length,
      rowsWithoutAcceptedId: [...rowIds].filter((id) => !acceptedIds.has(id)).length,
      jobs: Object.fromEntries(jobs.map((row) => [row.state, Number(row.jobs)])),
    };
  } finally {
    await store.close();
  }
}

/**
 * The one-line summary of an outbox fault: sends offered to the API, accepted (202), accepted with
 * their row in the store, deliveries at Meta beyond one per message, and accepted sends that never
 * reached Meta or have no row.
 */
export function summariseOutboxFault(report: ApiSenderReport, verdict: OutboxVerdict): FaultSummary {
  return {
    sent: report.attempted,
    acked: verdict.accepted,
    stored: verdict.acceptedWithRow,
    duplicates: verdict.extraDeliveries,
    lost: verdict.lost.length,
  };
}
