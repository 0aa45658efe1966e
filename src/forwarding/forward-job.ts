import type { Clock } from '../clock.js';
import { decryptJson, decryptText } from '../crypto/envelope.js';
import type { KeyStore } from '../crypto/key-store.js';
import type { Db } from '../db/database.js';
import { enqueueJob } from '../db/outbox-repository.js';
import type { OutboxJob } from '../db/outbox-repository.js';
import type { JobHandler, JobOutcome } from '../db/outbox-worker.js';
import type { StoreReaction } from '../conversations/event-store.js';
import type { Forwarder } from './forwarder.js';
import { decideNextStep } from './retry-schedule.js';

export const FORWARD_EVENT_JOB = 'forward-event';
export const MESSAGE_RECEIVED = 'message.received';
export const MESSAGE_STATUS = 'message.status';

type Subject = { endpoint: string; source: 'message' | 'status'; rowId: string };

/** `<endpoint>|message|<row id>`: a job names what to forward and where, never the data itself. */
function encodeSubject(subject: Subject): string {
  return `${subject.endpoint}|${subject.source}|${subject.rowId}`;
}

function decodeSubject(text: string): Subject | null {
  const [endpoint, source, rowId] = text.split('|');
  if (!endpoint || !rowId || (source !== 'message' && source !== 'status')) return null;
  return { endpoint, source, rowId };
}

/** One forwarding job per endpoint that wants the event, queued in the transaction that stores it. */
export function createForwardingReaction({ forwarder, clock }: { forwarder: Pick<Forwarder, 'listEndpointsFor'>; clock: Clock }): StoreReaction {
  return async (trx, stored) => {
    const now = clock.now();
    const received = forwarder.listEndpointsFor(MESSAGE_RECEIVED);
    const status = forwarder.listEndpointsFor(MESSAGE_STATUS);
    for (const { id } of stored.messages) {
      for (const endpoint of received) await enqueueJob(trx, { kind: FORWARD_EVENT_JOB, subjectId: encodeSubject({ endpoint, source: 'message', rowId: id }), runAt: now });
    }
    for (const { id } of stored.statuses) {
      for (const endpoint of status) await enqueueJob(trx, { kind: FORWARD_EVENT_JOB, subjectId: encodeSubject({ endpoint, source: 'status', rowId: id }), runAt: now });
    }
  };
}

/**
 * Delivers one event to one endpoint: decrypts the stored row into the event body (the service is
 * entitled to it by configuration), signs and sends it; the forwarder's outcome decides retry.
 */
export function createForwardJobHandler({ db, keys, forwarder, clock }: { db: Db; keys: KeyStore; forwarder: Pick<Forwarder, 'deliverTo'>; clock: Clock }): JobHandler {
  async function run(job: OutboxJob): Promise<JobOutcome> {
    const subject = decodeSubject(job.subject_id);
    if (!subject) return { kind: 'dead', reason: 'malformed forwarding job' };
    const event = subject.source === 'message' ? await buildMessageEvent(subject.rowId) : await buildStatusEvent(subject.rowId);
    // Erased (data-subject request, retention) before it could be forwarded: nothing left to send.
    if (!event) return { kind: 'done' };
    const outcome = await forwarder.deliverTo(subject.endpoint, event);
    if (outcome.kind === 'delivered') return { kind: 'done' };
    if (outcome.kind === 'failed-permanently') return { kind: 'dead', reason: outcome.detail };
    const next = decideNextStep({ attempt: job.attempts + 1, queuedAt: job.created_at, now: clock.now(), retryAfterMs: outcome.retryAfterMs, lastFailure: outcome.detail });
    return next.kind === 'dead' ? { kind: 'dead', reason: next.reason } : { kind: 'retry', runAt: next.runAt, reason: outcome.detail, countsAsAttempt: true };
  }

  async function buildMessageEvent(id: string) {
    const row = await db.selectFrom('messages').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) return null;
    const contact = await db.selectFrom('contacts').selectAll().where('id', '=', row.contact_id).executeTakeFirstOrThrow();
    const dataKey = (await keys.getDataKey(db, contact.data_key_id, contact.id)).key;
    const context = (table: string, column: string, rowId: string) => ({ table, column, rowId, contactId: contact.id });
    const sealed = decryptJson(dataKey, context('messages', 'content', row.id), row.content_enc) as { wamid: string; message: Record<string, unknown> };
    const profile = contact.profile_enc ? (decryptJson(dataKey, context('contacts', 'profile', contact.id), contact.profile_enc) as { name?: string }) : null;
    const media = await db.selectFrom('media_objects').select('id').where('message_id', '=', row.id).executeTakeFirst();
    // The contacts[] entry Meta sent beside the message is given as `from` and `profileName` instead.
    const message: Record<string, unknown> = { ...sealed.message };
    delete message.contact;
    return {
      id: `msg_${row.id}`,
      type: MESSAGE_RECEIVED,
      timestamp: row.received_at,
      payload: {
        messageId: row.id,
        wamid: sealed.wamid,
        from: `+${decryptText(dataKey, context('contacts', 'wa_id', contact.id), contact.wa_id_enc)}`,
        profileName: profile?.name ?? null,
        phoneNumberId: row.phone_number_id,
        type: row.type,
        sentAt: new Date(row.sent_at).toISOString(),
        message,
        mediaId: media?.id ?? null,
      },
    };
  }

  async function buildStatusEvent(id: string) {
    const row = await db.selectFrom('status_events').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) return null;
    const outbound = await db.selectFrom('outbound_messages').select(['id', 'contact_id', 'wamid_enc']).where('wamid_index', '=', row.wamid_index).executeTakeFirst();
    const contact = row.contact_id ? await db.selectFrom('contacts').selectAll().where('id', '=', row.contact_id).executeTakeFirst() : undefined;
    const dataKey = contact ? (await keys.getDataKey(db, contact.data_key_id, contact.id)).key : (await keys.getSystemKey(db)).key;
    const details = decryptJson(dataKey, { table: 'status_events', column: 'details', rowId: row.id, contactId: row.contact_id ?? '' }, row.details_enc);
    const wamid =
      outbound?.wamid_enc && contact && outbound.contact_id === contact.id
        ? decryptText(dataKey, { table: 'outbound_messages', column: 'wamid', rowId: outbound.id, contactId: contact.id }, outbound.wamid_enc)
        : null;
    return {
      id: `sts_${row.id}`,
      type: MESSAGE_STATUS,
      timestamp: row.received_at,
      payload: {
        outboundMessageId: outbound?.id ?? null,
        wamid,
        status: row.status,
        recipient: contact ? `+${decryptText(dataKey, { table: 'contacts', column: 'wa_id', rowId: contact.id, contactId: contact.id }, contact.wa_id_enc)}` : null,
        statusAt: new Date(row.status_at).toISOString(),
        details,
      },
    };
  }

  return { kind: FORWARD_EVENT_JOB, run };
}
