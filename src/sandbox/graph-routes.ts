import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isSameToken, readBearerToken } from './bearer-token.js';
import { GraphError, invalidParameter, unknownObject } from './graph-errors.js';
import type { MediaStore } from './media-store.js';
import { registerMediaRoutes } from './media-routes.js';
import type { MessageSender } from './message-sender.js';
import { registerTemplateRoutes } from './template-routes.js';
import type { TemplateStore } from './template-store.js';

export interface GraphRoutesOptions {
  phoneNumberId: string;
  displayPhoneNumber: string;
  verifiedName: string;
  wabaId: string;
  accessToken: string;
  sender: MessageSender;
  media: MediaStore;
  templates: TemplateStore;
}

export interface GraphParams {
  version: string;
  objectId: string;
}

const VERSION = /^v\d+\.\d+$/;

/**
 * The Graph API paths the gateway calls, in one encapsulated plugin: every route in it (media
 * downloads included) demands the bearer token, and every refusal is Meta's error body.
 */
export async function registerGraphRoutes(app: FastifyInstance, options: GraphRoutesOptions): Promise<void> {
  app.setErrorHandler((error: FastifyError, _request, reply) => sendGraphError(reply, toGraphError(error)));
  app.addHook('onRequest', async (request, reply) => {
    const token = readBearerToken(request.headers.authorization);
    if (token === null) {
      return sendGraphError(reply, new GraphError(190, { message: 'An active access token must be used to query information about the current user.' }));
    }
    if (!isSameToken(token, options.accessToken)) return sendGraphError(reply, new GraphError(190));
    const { version } = (request.params ?? {}) as Partial<GraphParams>;
    if (version !== undefined && !VERSION.test(version)) {
      return sendGraphError(reply, new GraphError(2500, { message: `Unknown path components: /${version}` }));
    }
  });

  app.post<{ Params: GraphParams }>('/:version/:objectId/messages', async (request, reply) => {
    if (request.params.objectId !== options.phoneNumberId) throw unknownObject(request.params.objectId, 'post');
    const outcome = options.sender.send(request.body);
    if (outcome.kind === 'drop') return dropConnection(request, reply);
    return outcome.body;
  });

  app.get<{ Params: GraphParams }>('/:version/:objectId', async (request) => {
    const { objectId } = request.params;
    if (objectId === options.phoneNumberId) {
      return {
        verified_name: options.verifiedName,
        code_verification_status: 'VERIFIED',
        display_phone_number: options.displayPhoneNumber,
        quality_rating: 'GREEN',
        platform_type: 'CLOUD_API',
        throughput: { level: 'STANDARD' },
        id: objectId,
      };
    }
    const media = options.media.describe(objectId);
    if (!media) throw unknownObject(objectId, 'get');
    return media;
  });

  app.delete<{ Params: GraphParams }>('/:version/:objectId', async (request) => {
    if (!options.media.delete(request.params.objectId)) throw unknownObject(request.params.objectId, 'delete');
    return { success: true };
  });

  await app.register(registerMediaRoutes, { phoneNumberId: options.phoneNumberId, media: options.media });
  await app.register(registerTemplateRoutes, { wabaId: options.wabaId, templates: options.templates });
}

export function sendGraphError(reply: FastifyReply, error: GraphError): FastifyReply {
  if (error.code === 190) reply.header('www-authenticate', 'OAuth "Facebook Platform" "invalid_token"');
  return reply.code(error.httpStatus).send(error.toBody());
}

function toGraphError(error: FastifyError): GraphError {
  if (error instanceof GraphError) return error;
  if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return invalidParameter('The request body must be JSON.');
  if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return invalidParameter('The request body is too large.');
  if (error.statusCode !== undefined && error.statusCode < 500) return invalidParameter('The request body could not be parsed.');
  return new GraphError(1);
}

/** A connection lost before the answer: the client cannot tell whether the message was accepted. */
function dropConnection(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  reply.hijack();
  request.raw.socket.destroy();
  return reply;
}
