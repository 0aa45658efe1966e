import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { unknownObject } from './graph-errors.js';
import type { GraphParams } from './graph-routes.js';
import { parseGraphBody } from './graph-validation.js';
import { createTemplateSchema } from './template-store.js';
import type { TemplateStore } from './template-store.js';

export interface TemplateRoutesOptions {
  wabaId: string;
  templates: TemplateStore;
}

const listQuerySchema = z.looseObject({
  name: z.string().optional(),
  status: z.string().optional(),
  language: z.string().optional(),
  category: z.string().optional(),
});

/** `GET|POST /<version>/<WABA id>/message_templates`. */
export async function registerTemplateRoutes(app: FastifyInstance, options: TemplateRoutesOptions): Promise<void> {
  app.get<{ Params: GraphParams }>('/:version/:objectId/message_templates', async (request) => {
    if (request.params.objectId !== options.wabaId) throw unknownObject(request.params.objectId, 'get');
    const query = parseGraphBody(listQuerySchema, request.query ?? {});
    if (!query.ok) throw query.error;
    const { name, status, language, category } = query.data;
    const data = options.templates.list({
      ...(name === undefined ? {} : { name }),
      ...(status === undefined ? {} : { status }),
      ...(language === undefined ? {} : { language }),
      ...(category === undefined ? {} : { category }),
    });
    return { data, paging: { cursors: { before: 'MAZDZD', after: 'MjQZD' } } };
  });

  app.post<{ Params: GraphParams }>('/:version/:objectId/message_templates', async (request) => {
    if (request.params.objectId !== options.wabaId) throw unknownObject(request.params.objectId, 'post');
    const body = parseGraphBody(createTemplateSchema, request.body);
    if (!body.ok) throw body.error;
    return options.templates.create(body.data);
  });
}
