import type { Clock } from '../clock.js';
import { findLastInboundAt, isWindowOpen } from '../conversations/customer-window.js';
import type { BlindIndex } from '../crypto/blind-index.js';
import { decryptJson, decryptText, encryptText } from '../crypto/envelope.js';
import type { KeyStore } from '../crypto/key-store.js';
import type { Db } from '../db/database.js';
import type { Trx } from '../db/group-commit-writer.js';
import type { OutboxJob } from '../db/outbox-repository.js';
import type { JobHandler, JobOutcome } from '../db/outbox-worker.js';
import type { Logger } from '../logger.js';
import { recordConsentChange } from '../privacy/consent-service.js';
import type { GraphClient, GraphSendResult } from './graph-client.js';
import type { RetryPolicy } from './retry-policy.js';
import { SEND_MESSAGE_JOB, contentContext, wamidContext } from './send-service.js';
import type { SendGovernor } from './send-governor.js';
import type { SenderPauses } from './sender-pauses.js';

export interface SendJobOptions {
  db: Db;
  keys: KeyStore;
  index: BlindIndex;
  graph: Pick<GraphClient, 'sendMessage'>;
  governor: SendGovernor;
  policy: RetryPolicy;
  pauses: SenderPauses;
  clock: Clock;
  logger: Logger;
}

/** Waits shorter than this are slept inside the job; longer ones give the job back with a later run time. */
const MAX_INLINE_WAIT_MS = 2_000;
const PAUSED_RECHECK_MS = 30_000;

/**
 * Sends one queued message: governor first (throughput, pair spacing), the 24-hour window again
 * (it may have closed while the job waited), then the Graph API; Meta's answer decides between
 * done, retry later, fail for good, or pause the number.
 */
export function createSendJobHandler(options: SendJobOptions): JobHandler {
  const { db, keys, index, graph, governor, policy, pauses, clock, logger } = options;

  async function run(job: OutboxJob): Promise<JobOutcome> {
    const row = await db.selectFrom('outbound_messages').selectAll().where('id', '=', job.subject_id).executeTakeFirst();
    // Already sent or failed (a job that ran twice after a lost lease), or erased meanwhile.
    if (!row || row.state !== 'queued') return { kind: 'done' };
    const paused = await pauses.remainingPause(row.phone_number_id);
    if (paused > 0) return waitFor(Math.min(paused, PAUSED_RECHECK_MS), 'sending from this number is paused');

    const contact = await db.selectFrom('contacts').select(['id', 'data_key_id', 'wa_id_enc']).where('id', '=', row.contact_id).executeTakeFirstOrThrow();
    const dataKey = await keys.getDataKey(db, contact.data_key_id, contact.id);
    if (row.type !== 'template' && !isWindowOpen(await findLastInboundAt(db, contact.id), clock.now())) {
      return failMessage(row.id, null, 'the 24-hour window closed before the message could be sent; send a template');
    }
    const wait = await takeSendSlot(row.phone_number_id, contact.id);
    if (wait > 0) return waitFor(wait, 'waiting for the send governor');

    const to = decryptText(dataKey.key, { table: 'contacts', column: 'wa_id', rowId: contact.id, contactId: contact.id }, contact.wa_id_enc);
    const message = decryptJson(dataKey.key, contentContext(row.id, contact.id), row.content_enc) as object;
    const result = await graph.sendMessage(row.phone_number_id, { messaging_product: 'whatsapp', recipient_type: 'individual', to, ...message });
    if (result.kind === 'accepted') {
      return {
        kind: 'done',
        apply: async (trx) => {
          const now = clock.now();
          await trx
            .updateTable('outbound_messages')
            .set({
              state: 'sent',
              wamid_index: index.messageId(result.wamid),
              wamid_enc: encryptText(dataKey.key, dataKey.keyInfo, wamidContext(row.id, contact.id), result.wamid),
              sent_at: now,
              updated_at: now,
            })
            .where('id', '=', row.id)
            .execute();
        },
      };
    }
    return decideAfterRefusal(job, row, result);
  }

  async function takeSendSlot(phoneNumberId: string, contactId: string): Promise<number> {
    let wait = governor.reserve(phoneNumberId, contactId);
    while (wait > 0 && wait <= MAX_INLINE_WAIT_MS) {
      await new Promise((resolve) => setTimeout(resolve, wait));
      wait = governor.reserve(phoneNumberId, contactId);
    }
    return wait;
  }

  function decideAfterRefusal(
    job: OutboxJob,
    row: { id: string; contact_id: string; phone_number_id: string },
    result: Exclude<GraphSendResult, { kind: 'accepted' }>,
  ): JobOutcome {
    const decision = policy.decide(result, job.attempts + 1);
    const code = result.kind === 'error' ? result.code : null;
    if (decision.action === 'retry') return { kind: 'retry', runAt: clock.now() + decision.delayMs, reason: decision.reason, countsAsAttempt: true };
    if (decision.action === 'pause-number') {
      if (code === 190) logger.error({ phoneNumberId: row.phone_number_id }, 'ALERT: the Graph API refused the access token (190); sending is paused until the token is renewed and Rampart restarted');
      else logger.warn({ phoneNumberId: row.phone_number_id, code }, 'sending paused for this number');
      const now = clock.now();
      return {
        kind: 'retry',
        runAt: now + Math.min(decision.pauseMs ?? PAUSED_RECHECK_MS, PAUSED_RECHECK_MS),
        reason: decision.reason,
        countsAsAttempt: false,
        apply: (trx) => pauses.pause(trx, row.phone_number_id, { reason: decision.reason, errorCode: code, pausedUntil: decision.pauseMs === null ? null : now + decision.pauseMs }),
      };
    }
    const outcome = failMessage(row.id, code, decision.reason);
    if (!decision.isOptOut) return outcome;
    return {
      ...outcome,
      apply: async (trx) => {
        await outcome.apply!(trx);
        // Meta says the customer stopped marketing messages: the ledger must say so too.
        await recordConsentChange(trx, { contactId: row.contact_id, purpose: 'marketing', action: 'opt-out', source: 'send-error', occurredAt: clock.now(), evidenceRef: `outbound:${row.id}` }, clock.now());
      },
    };
  }

  function failMessage(id: string, code: number | null, reason: string): JobOutcome & { kind: 'dead' } {
    return {
      kind: 'dead',
      reason,
      apply: async (trx: Trx) => {
        await trx.updateTable('outbound_messages').set({ state: 'failed', error_code: code, error_reason: reason, updated_at: clock.now() }).where('id', '=', id).execute();
      },
    };
  }

  function waitFor(delayMs: number, reason: string): JobOutcome {
    return { kind: 'retry', runAt: clock.now() + delayMs, reason, countsAsAttempt: false };
  }

  return { kind: SEND_MESSAGE_JOB, run };
}
