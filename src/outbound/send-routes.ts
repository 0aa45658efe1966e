import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../errors.js';
import { messageStatusResponseSchema, sendMessageRequestSchema } from './send-request-schema.js';
import type { SendService } from './send-service.js';

const errorSchema = z.object({ code: z.string(), message: z.string(), requestId: z.string() });
const idempotencyKeySchema = z
  .string()
  .regex(/^[\x21-\x7e]{1,255}$/, { message: 'printable ASCII, 1 to 255 characters' })
  .optional()
  .describe('Makes a retried call safe: the same key with the same body returns the first answer.');

/** `POST /api/v1/messages` and `GET /api/v1/messages/:id` for the business's services. */
export async function registerSendRoutes(app: FastifyInstance, { sends }: { sends: SendService }): Promise<void> {
  const api = app.withTypeProvider<ZodTypeProvider>();

  api.post(
    '/api/v1/messages',
    {
      config: { access: { apiKeyScope: 'messages:send' } },
      schema: {
        summary: 'Queue a message for sending',
        description:
          'Checks what can be checked before calling Meta (24-hour window, opt-out, template approval), stores the message encrypted with its outbox job, and answers 202. Follow its progress with GET /api/v1/messages/{id}.',
        tags: ['messages'],
        headers: z.object({ 'idempotency-key': idempotencyKeySchema }),
        body: sendMessageRequestSchema,
        response: {
          202: z.object({ id: z.string(), status: z.literal('queued') }),
          400: errorSchema,
          401: errorSchema,
          403: errorSchema,
          409: errorSchema.describe('WINDOW_CLOSED (send a template) or RECIPIENT_OPTED_OUT'),
          422: errorSchema.describe('TEMPLATE_NOT_APPROVED or IDEMPOTENCY_KEY_REUSED'),
        },
      },
    },
    async (request, reply) => {
      const result = await sends.acceptMessage({
        request: request.body,
        principal: { type: 'api-key', id: request.principal!.id, name: request.principal!.name },
        idempotencyKey: request.headers['idempotency-key'] ?? null,
      });
      if (result.isReplay) reply.header('idempotent-replayed', 'true');
      return reply.code(202).send({ id: result.id, status: 'queued' as const });
    },
  );

  api.get(
    '/api/v1/messages/:id',
    {
      config: { access: { apiKeyScope: 'messages:read' } },
      schema: {
        summary: 'The status of a message sent through Rampart',
        tags: ['messages'],
        params: z.object({ id: z.uuid() }),
        response: { 200: messageStatusResponseSchema, 401: errorSchema, 403: errorSchema, 404: errorSchema },
      },
    },
    async (request) => {
      const status = await sends.findMessageStatus(request.params.id);
      if (!status) throw new AppError('NOT_FOUND', 'No message has that id.');
      return status;
    },
  );
}
