import { createHash, randomUUID } from 'node:crypto';
import type { Clock } from '../clock.js';
import { decryptJson, encryptField } from '../crypto/envelope.js';
import type { KeyStore } from '../crypto/key-store.js';
import type { Db } from '../db/database.js';
import { enqueueJob } from '../db/outbox-repository.js';
import type { OutboxJob } from '../db/outbox-repository.js';
import type { JobHandler, JobOutcome } from '../db/outbox-worker.js';
import type { GraphClient } from '../outbound/graph-client.js';
import type { StoreReaction } from './event-store.js';

export const FETCH_MEDIA_JOB = 'fetch-media';

const MB = 1024 * 1024;
/** Meta's limits per kind; nothing larger is fetched whatever Meta's lookup claims. */
const kindLimits: Record<string, number> = { image: 5 * MB, audio: 16 * MB, video: 16 * MB, document: 100 * MB, sticker: 500 * 1024 };
const kindMimePattern: Record<string, RegExp> = {
  image: /^image\/(jpeg|png)$/,
  sticker: /^image\/webp$/,
  audio: /^audio\/[a-z0-9.+-]+$/,
  video: /^video\/[a-z0-9.+-]+$/,
  document: /^[a-z]+\/[a-z0-9.+-]+$/,
};
/** Where Meta serves media from. The sandbox serves it from the emulator (the Graph host). */
const META_MEDIA_HOST_SUFFIXES = ['.fbsbx.com', '.facebook.com', '.whatsapp.net', '.fbcdn.net'];
const MAX_FETCH_ATTEMPTS = 8;

export function mediaContext(mediaObjectId: string, contactId: string) {
  return { table: 'media_objects', column: 'content', rowId: mediaObjectId, contactId };
}

/** For every newly stored media message, a pending media object and its fetch job, in the same transaction. */
export function createMediaReaction({ clock }: { clock: Clock }): StoreReaction {
  return async (trx, stored) => {
    for (const { id, contact, event } of stored.messages) {
      const media = event.content[event.type] as { id?: unknown } | undefined;
      if (kindLimits[event.type] === undefined || typeof media?.id !== 'string') continue;
      const mediaObjectId = randomUUID();
      const now = clock.now();
      await trx
        .insertInto('media_objects')
        .values({ id: mediaObjectId, message_id: id, contact_id: contact.id, state: 'pending', mime_type: null, byte_size: null, content_enc: null, failure_reason: null, created_at: now, updated_at: now })
        .execute();
      await enqueueJob(trx, { kind: FETCH_MEDIA_JOB, subjectId: mediaObjectId, runAt: now });
    }
  };
}

export interface MediaFetchOptions {
  db: Db;
  keys: KeyStore;
  graph: Pick<GraphClient, 'lookupMedia' | 'downloadMedia' | 'graphHost'>;
  clock: Clock;
  /** Largest file stored, whatever the kind allows. */
  maxBytes: number;
  /** Sandbox: the emulator serves media over plain http on loopback. */
  allowsHttp: boolean;
  backoff(attempt: number): number;
}

/**
 * Fetches one media object: asks the Graph API where it is (a URL valid 5 minutes), downloads it
 * only from Meta's media hosts with the bearer token, checks size, type and hash, and stores it
 * sealed. An expired URL is looked up again on the next attempt.
 */
export function createMediaFetchJobHandler(options: MediaFetchOptions): JobHandler {
  const { db, keys, graph, clock } = options;

  async function run(job: OutboxJob): Promise<JobOutcome> {
    const media = await db.selectFrom('media_objects').selectAll().where('id', '=', job.subject_id).executeTakeFirst();
    if (!media || media.state !== 'pending') return { kind: 'done' };
    const message = await db.selectFrom('messages').select(['id', 'type', 'content_enc']).where('id', '=', media.message_id).executeTakeFirstOrThrow();
    const contact = await db.selectFrom('contacts').select(['id', 'data_key_id']).where('id', '=', media.contact_id).executeTakeFirstOrThrow();
    const dataKey = await keys.getDataKey(db, contact.data_key_id, contact.id);
    const sealed = decryptJson(dataKey.key, { table: 'messages', column: 'content', rowId: message.id, contactId: contact.id }, message.content_enc) as {
      message: Record<string, { id?: string } | undefined>;
    };
    const mediaId = sealed.message[message.type]?.id;
    if (!mediaId) return fail(media.id, 'the message carries no media id');

    const attempt = job.attempts + 1;
    const retryOrFail = (reason: string): JobOutcome =>
      attempt >= MAX_FETCH_ATTEMPTS ? fail(media.id, `${reason}; gave up after ${attempt} attempts`) : { kind: 'retry', runAt: clock.now() + options.backoff(attempt), reason, countsAsAttempt: true };

    const lookup = await graph.lookupMedia(mediaId);
    if (lookup.kind === 'network') return retryOrFail(`media lookup failed (${lookup.reason})`);
    if (lookup.kind === 'error') {
      if (lookup.httpStatus >= 500 || lookup.httpStatus === 429) return retryOrFail(`media lookup answered HTTP ${lookup.httpStatus}`);
      return fail(media.id, `Meta no longer has this media (HTTP ${lookup.httpStatus}${lookup.code === null ? '' : `, code ${lookup.code}`})`);
    }
    const url = checkMediaUrl(lookup.media.url);
    if (typeof url === 'string') return fail(media.id, url);
    const mimeType = lookup.media.mimeType.split(';')[0]!.trim().toLowerCase();
    if (!kindMimePattern[message.type]!.test(mimeType)) return fail(media.id, `type ${mimeType} is not allowed for ${message.type}`);
    const limit = Math.min(kindLimits[message.type]!, options.maxBytes);
    if (lookup.media.fileSize !== null && lookup.media.fileSize > limit) return fail(media.id, `larger than ${limit} bytes`);

    const download = await graph.downloadMedia(url, limit);
    if (download.kind === 'too-large') return fail(media.id, `larger than ${limit} bytes`);
    if (download.kind === 'network') return retryOrFail(`media download failed (${download.reason})`);
    // 401/403/404 on a URL Meta just gave us: it expired; the next attempt looks it up again.
    if (download.kind === 'refused') return retryOrFail(`media download answered HTTP ${download.httpStatus}`);
    if (lookup.media.sha256 !== null && !matchesSha256(download.bytes, lookup.media.sha256)) return retryOrFail('media hash does not match Meta\'s');

    const content = encryptField(dataKey.key, dataKey.keyInfo, mediaContext(media.id, contact.id), download.bytes);
    return {
      kind: 'done',
      apply: async (trx) => {
        await trx
          .updateTable('media_objects')
          .set({ state: 'stored', mime_type: mimeType, byte_size: download.bytes.length, content_enc: content, updated_at: clock.now() })
          .where('id', '=', media.id)
          .execute();
      },
    };
  }

  /** The URL, or why it is refused: only Meta's media hosts (or the Graph host itself), over https. */
  function checkMediaUrl(raw: string): URL | string {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      return 'Meta returned a malformed media URL';
    }
    if (url.username || url.password) return 'the media URL carries credentials';
    if (url.protocol !== 'https:' && !(options.allowsHttp && url.protocol === 'http:')) return 'the media URL is not https';
    const host = url.hostname.toLowerCase();
    const isMetaHost = META_MEDIA_HOST_SUFFIXES.some((suffix) => host.endsWith(suffix));
    if (!isMetaHost && url.host !== graph.graphHost) return 'the media URL points outside Meta\'s media hosts';
    return url;
  }

  function fail(mediaObjectId: string, reason: string): JobOutcome {
    return {
      kind: 'dead',
      reason,
      apply: async (trx) => {
        await trx.updateTable('media_objects').set({ state: 'failed', failure_reason: reason, updated_at: clock.now() }).where('id', '=', mediaObjectId).execute();
      },
    };
  }

  return { kind: FETCH_MEDIA_JOB, run };
}

/** Meta gives the file's SHA-256 as hex (or, in some payloads, base64). */
function matchesSha256(bytes: Buffer, expected: string): boolean {
  const digest = createHash('sha256').update(bytes).digest();
  const trimmed = expected.trim();
  if (/^[0-9a-fA-F]{64}$/.test(trimmed)) return digest.equals(Buffer.from(trimmed, 'hex'));
  return digest.equals(Buffer.from(trimmed, 'base64'));
}
