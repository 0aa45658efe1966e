import type { FastifyInstance } from 'fastify';
import type { AuditLog } from '../audit/audit-log.js';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { decryptField } from '../crypto/envelope.js';
import type { KeyStore } from '../crypto/key-store.js';
import type { Db } from '../db/database.js';
import { AppError } from '../errors.js';
import { mediaContext } from './media-fetch.js';

/**
 * `GET /api/v1/media/:id`: a customer's media, decrypted for a service holding `media:read`.
 * Served as an attachment that a browser will neither sniff nor render in Rampart's origin.
 */
export async function registerMediaRoutes(app: FastifyInstance, { db, keys, audit }: { db: Db; keys: KeyStore; audit: Pick<AuditLog, 'auditedAccess'> }): Promise<void> {
  app.withTypeProvider<ZodTypeProvider>().get(
    '/api/v1/media/:id',
    {
      config: { access: { apiKeyScope: 'media:read' } },
      schema: {
        summary: 'Download media a customer sent (decrypted)',
        tags: ['media'],
        params: z.object({ id: z.uuid() }),
      },
    },
    async (request, reply) => {
      const media = await db.selectFrom('media_objects').selectAll().where('id', '=', request.params.id).executeTakeFirst();
      if (!media) throw new AppError('NOT_FOUND', 'No media has that id.');
      if (media.state === 'pending') throw new AppError('NOT_FOUND', 'The media is still being fetched from Meta; try again shortly.');
      if (media.state === 'failed' || !media.content_enc) throw new AppError('NOT_FOUND', `The media could not be fetched: ${media.failure_reason ?? 'unknown reason'}.`);
      const contact = await db.selectFrom('contacts').select(['id', 'data_key_id']).where('id', '=', media.contact_id).executeTakeFirstOrThrow();
      const dataKey = await keys.getDataKey(db, contact.data_key_id, contact.id);
      const sealed = media.content_enc;
      // The entry is committed before the plaintext exists; without it, nothing is released.
      const bytes = await audit.auditedAccess(
        {
          actor: { type: 'api-key', id: request.principal!.id, label: request.principal!.name },
          action: 'media.download',
          resource: { type: 'media', id: media.id },
          subjectContactId: contact.id,
          sourceAddress: request.ip,
          requestId: request.id,
        },
        () => decryptField(dataKey.key, mediaContext(media.id, contact.id), sealed),
      );
      return reply
        .header('content-type', 'application/octet-stream')
        .header('x-media-type', media.mime_type ?? 'application/octet-stream')
        .header('content-disposition', `attachment; filename="${media.id}"`)
        .header('content-security-policy', "default-src 'none'; sandbox")
        .header('cache-control', 'no-store')
        .send(bytes);
    },
  );
}
