import multipart from '@fastify/multipart';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { AppError } from '../errors.js';
import type { GraphClient } from './graph-client.js';

const MB = 1024 * 1024;
/** Meta's accepted types and size limit for each. */
const uploadLimits: ReadonlyMap<string, number> = new Map([
  ['image/jpeg', 5 * MB],
  ['image/png', 5 * MB],
  ['image/webp', 500 * 1024],
  ['audio/aac', 16 * MB],
  ['audio/amr', 16 * MB],
  ['audio/mpeg', 16 * MB],
  ['audio/mp4', 16 * MB],
  ['audio/ogg', 16 * MB],
  ['video/mp4', 16 * MB],
  ['video/3gpp', 16 * MB],
  ['text/plain', 100 * MB],
  ['application/pdf', 100 * MB],
  ['application/vnd.openxmlformats-officedocument.wordprocessingml.document', 100 * MB],
  ['application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', 100 * MB],
  ['application/vnd.openxmlformats-officedocument.presentationml.presentation', 100 * MB],
]);

/**
 * `POST /api/v1/media`: uploads a file to Meta for a later send (`image: { id }`). Rampart passes
 * it through without keeping a copy; Meta holds uploads for 30 days.
 */
export async function registerMediaUploadRoutes(
  app: FastifyInstance,
  { graph, phoneNumberId, maxBytes }: { graph: Pick<GraphClient, 'uploadMedia'> | null; phoneNumberId: string | null; maxBytes: number },
): Promise<void> {
  await app.register(async (scope) => {
    await scope.register(multipart, { limits: { fileSize: maxBytes, files: 1, fields: 2, parts: 3 } });
    scope.post(
      '/api/v1/media',
      {
        config: { access: { apiKeyScope: 'messages:send' } },
        schema: {
          summary: 'Upload media for a later send',
          description: 'multipart/form-data with one `file` part. Answers Meta\'s media id, to use as `image: { id }` (or video, audio, document, sticker) in POST /api/v1/messages.',
          tags: ['media'],
          consumes: ['multipart/form-data'],
          response: { 201: z.object({ id: z.string() }) },
        },
      },
      async (request, reply) => {
        if (!graph || !phoneNumberId) throw new AppError('SENDING_NOT_CONFIGURED', 'Sending is not configured: set WHATSAPP_ACCESS_TOKEN and WHATSAPP_PHONE_NUMBER_ID.');
        if (!request.isMultipart()) throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'Send the file as multipart/form-data.');
        const file = await request.file();
        if (!file) throw new AppError('INVALID_REQUEST', 'Send one file in a part named "file".');
        const mimeType = file.mimetype.split(';')[0]!.trim().toLowerCase();
        const limit = uploadLimits.get(mimeType);
        if (limit === undefined) throw new AppError('INVALID_REQUEST', `Meta does not accept ${mimeType.slice(0, 100)} files.`);
        const bytes = await file.toBuffer().catch((error: unknown) => {
          if ((error as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE') throw new AppError('PAYLOAD_TOO_LARGE', `Files are limited to ${maxBytes} bytes here.`);
          throw error;
        });
        if (bytes.length > limit) throw new AppError('PAYLOAD_TOO_LARGE', `Meta limits ${mimeType} files to ${limit} bytes.`);
        const uploaded = await graph.uploadMedia(phoneNumberId, { bytes, mimeType, filename: 'upload' });
        if (uploaded.kind !== 'uploaded') throw new AppError('UPSTREAM_UNAVAILABLE', 'Meta did not accept the upload; try again later.');
        return reply.code(201).send({ id: uploaded.id });
      },
    );
  });
}
