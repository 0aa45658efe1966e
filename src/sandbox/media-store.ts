import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../clock.js';
import { GraphError } from './graph-errors.js';
import { createNumericId } from './identifiers.js';
import type { MediaKind } from './message-content.js';

/** Meta's media URLs expire five minutes after the lookup that returned them. */
export const MEDIA_URL_TTL_MS = 5 * 60 * 1000;
export const MEDIA_DOWNLOAD_PATH = '/whatsapp_business/attachments/';

const MB = 1024 * 1024;

/** Supported types and Meta's size limit for each kind (stickers: the animated limit). */
const mediaTypes: ReadonlyMap<string, MediaKind> = new Map([
  ['image/jpeg', 'image'],
  ['image/png', 'image'],
  ['image/webp', 'sticker'],
  ['audio/aac', 'audio'],
  ['audio/amr', 'audio'],
  ['audio/mpeg', 'audio'],
  ['audio/mp4', 'audio'],
  ['audio/ogg', 'audio'],
  ['video/mp4', 'video'],
  ['video/3gpp', 'video'],
  ['text/plain', 'document'],
  ['application/pdf', 'document'],
  ['application/msword', 'document'],
  ['application/vnd.ms-excel', 'document'],
  ['application/vnd.ms-powerpoint', 'document'],
  ['application/vnd.openxmlformats-officedocument.wordprocessingml.document', 'document'],
  ['application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', 'document'],
  ['application/vnd.openxmlformats-officedocument.presentationml.presentation', 'document'],
]);

export const mediaSizeLimits: Readonly<Record<MediaKind, number>> = {
  image: 5 * MB,
  audio: 16 * MB,
  video: 16 * MB,
  document: 100 * MB,
  sticker: 500 * 1024,
};

/** The largest upload any type allows; the multipart parser stops reading beyond it. */
export const MAX_MEDIA_BYTES = mediaSizeLimits.document;

export function mediaKindOf(mimeType: string): MediaKind | null {
  return mediaTypes.get(mimeType.split(';')[0]!.trim().toLowerCase()) ?? null;
}

interface StoredMedia {
  id: string;
  bytes: Buffer;
  mimeType: string;
  kind: MediaKind;
  sha256: string;
  filename: string | null;
}

export type DownloadResult = { ok: true; media: StoredMedia } | { ok: false; reason: 'gone' | 'expired' | 'invalid' };

export interface MediaStoreOptions {
  clock: Clock;
  /** Base URL of the emulator as the gateway reaches it (changes on listen). */
  getPublicUrl(): string;
  /** Keys the URL signature, so a URL cannot be forged or its expiry moved. */
  urlKey: Buffer;
}

export type MediaStore = ReturnType<typeof createMediaStore>;

/** Uploaded and customer-sent media, in memory, served through expiring signed URLs. */
export function createMediaStore({ clock, getPublicUrl, urlKey }: MediaStoreOptions) {
  const media = new Map<string, StoredMedia>();
  const signUrl = (id: string, expiresAt: string) => createHmac('sha256', urlKey).update(`${id}.${expiresAt}`).digest();

  return {
    /** Checks the type and Meta's size limit for it; throws 131053 as Meta's upload does. */
    add(input: { bytes: Buffer; mimeType: string; filename?: string }): StoredMedia {
      const kind = mediaKindOf(input.mimeType);
      if (kind === null) throw new GraphError(131053, { details: 'Param file must be a file with one of the supported types.' });
      if (input.bytes.length === 0) throw new GraphError(131053, { details: 'The file is empty.' });
      if (input.bytes.length > mediaSizeLimits[kind]) {
        throw new GraphError(131053, { details: `${kind} files are limited to ${mediaSizeLimits[kind]} bytes; this one has ${input.bytes.length}.` });
      }
      const stored: StoredMedia = {
        id: createNumericId(),
        bytes: input.bytes,
        mimeType: input.mimeType.split(';')[0]!.trim().toLowerCase(),
        kind,
        sha256: createHash('sha256').update(input.bytes).digest('hex'),
        filename: input.filename ?? null,
      };
      media.set(stored.id, stored);
      return stored;
    },
    get(id: string): StoredMedia | null {
      return media.get(id) ?? null;
    },
    /** `GET /<version>/<media id>`: a fresh URL valid for five minutes. */
    describe(id: string) {
      const stored = media.get(id);
      if (!stored) return null;
      const expiresAt = String(Math.floor((clock.now() + MEDIA_URL_TTL_MS) / 1000));
      const url = new URL(MEDIA_DOWNLOAD_PATH, getPublicUrl());
      url.search = new URLSearchParams({ mid: id, ext: expiresAt, hash: signUrl(id, expiresAt).toString('base64url') }).toString();
      return {
        messaging_product: 'whatsapp',
        url: url.toString(),
        mime_type: stored.mimeType,
        sha256: stored.sha256,
        file_size: stored.bytes.length,
        id,
      };
    },
    /** Checks a download URL's signature and expiry (on the injected clock). */
    resolveDownload(query: { mid?: string; ext?: string; hash?: string }): DownloadResult {
      const { mid, ext, hash } = query;
      if (!mid || !ext || !hash || !/^\d{1,12}$/.test(ext)) return { ok: false, reason: 'invalid' };
      const given = Buffer.from(hash, 'base64url');
      const expected = signUrl(mid, ext);
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'invalid' };
      if (clock.now() >= Number(ext) * 1000) return { ok: false, reason: 'expired' };
      const stored = media.get(mid);
      return stored ? { ok: true, media: stored } : { ok: false, reason: 'gone' };
    },
    delete(id: string): boolean {
      return media.delete(id);
    },
  };
}
