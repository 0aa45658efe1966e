import multipart from '@fastify/multipart';
import type { FastifyInstance } from 'fastify';
import { GraphError, invalidParameter, unknownObject } from './graph-errors.js';
import type { GraphParams } from './graph-routes.js';
import { MAX_MEDIA_BYTES, MEDIA_DOWNLOAD_PATH } from './media-store.js';
import type { MediaStore } from './media-store.js';

export interface MediaRoutesOptions {
  phoneNumberId: string;
  media: MediaStore;
}

interface UploadForm {
  fields: Map<string, string>;
  file: { bytes: Buffer; filename: string } | null;
}

/**
 * Upload (`POST /<version>/<phone number id>/media`, multipart) and download through the signed
 * URL that `GET /<version>/<media id>` hands out. The multipart parser lives in this plugin only.
 */
export async function registerMediaRoutes(app: FastifyInstance, options: MediaRoutesOptions): Promise<void> {
  await app.register(multipart, {
    // One byte over the largest limit, so an oversized file is told apart from a file at the limit.
    limits: { fileSize: MAX_MEDIA_BYTES + 1, files: 1, fields: 10, fieldSize: 1024 },
    throwFileSizeLimit: false,
  });

  app.post<{ Params: GraphParams }>('/:version/:objectId/media', async (request) => {
    if (request.params.objectId !== options.phoneNumberId) throw unknownObject(request.params.objectId, 'post');
    if (!request.isMultipart()) throw invalidParameter('The upload must be multipart/form-data with the fields file, type and messaging_product.');
    const form: UploadForm = { fields: new Map(), file: null };
    for await (const part of request.parts()) {
      if (part.type === 'file') {
        const bytes = await part.toBuffer();
        if (part.file.truncated) throw new GraphError(131053, { details: `Files are limited to ${MAX_MEDIA_BYTES} bytes.` });
        form.file = { bytes, filename: part.filename };
      } else if (typeof part.value === 'string') {
        form.fields.set(part.fieldname, part.value);
      }
    }
    if (form.fields.get('messaging_product') !== 'whatsapp') throw invalidParameter('The parameter messaging_product is required and must be whatsapp.');
    const mimeType = form.fields.get('type');
    if (mimeType === undefined) throw invalidParameter('The parameter type is required.');
    if (form.file === null) throw invalidParameter('The parameter file is required.');
    const stored = options.media.add({ bytes: form.file.bytes, mimeType, filename: form.file.filename });
    return { id: stored.id };
  });

  app.get<{ Querystring: { mid?: string; ext?: string; hash?: string } }>(MEDIA_DOWNLOAD_PATH, async (request, reply) => {
    const result = options.media.resolveDownload(request.query ?? {});
    if (!result.ok) {
      // Meta's CDN answers an expired or altered signature with 403, a deleted file with 404.
      const status = result.reason === 'gone' ? 404 : 403;
      return reply.code(status).type('text/plain').send(result.reason === 'gone' ? 'Not Found' : 'URL signature expired');
    }
    return reply
      .type(result.media.mimeType)
      .header('content-disposition', 'attachment')
      .header('x-content-type-options', 'nosniff')
      .send(result.media.bytes);
  });
}
