import type { FastifyError, FastifyInstance } from 'fastify';
import { z } from 'zod';
import { isSameToken, readBearerToken } from './bearer-token.js';
import type { ConversationStore } from './conversation-store.js';
import type { CustomerSimulator } from './customer-simulator.js';
import type { FailureInjector } from './failure-injector.js';
import { GraphError } from './graph-errors.js';
import { normaliseRecipient } from './send-request-schema.js';
import type { TemplateStore } from './template-store.js';
import type { DeliveryStats } from './webhook-delivery.js';

export interface ControlRoutesOptions {
  controlToken: string;
  customers: CustomerSimulator;
  conversations: ConversationStore;
  failures: FailureInjector;
  templates: TemplateStore;
  business: { phoneNumberId: string; displayPhoneNumber: string; wabaId: string };
  getDeliveryStats(): DeliveryStats;
}

const templateStatusSchema = z.strictObject({
  name: z.string().min(1),
  language: z.string().min(2),
  status: z.enum(['APPROVED', 'PAUSED', 'DISABLED', 'REJECTED', 'PENDING']),
  reason: z.string().max(200).optional(),
});

/**
 * `/sandbox/…`: drive the simulated customers and inspect what the business sent. Every route
 * demands `Authorization: Bearer <control token>`, so another page open in the same browser
 * cannot drive the emulator (a cross-origin request cannot set that header without a CORS
 * preflight, which is never granted).
 */
export async function registerControlRoutes(app: FastifyInstance, options: ControlRoutesOptions): Promise<void> {
  app.addHook('onRequest', async (request, reply) => {
    const token = readBearerToken(request.headers.authorization);
    reply.header('cache-control', 'no-store');
    if (token === null || !isSameToken(token, options.controlToken)) {
      return reply.code(401).send({ error: 'the sandbox control token is required (Authorization: Bearer <token>)' });
    }
  });
  app.setErrorHandler((error: FastifyError, _request, reply) => {
    if (error instanceof z.ZodError) {
      return reply.code(400).send({ error: 'invalid request', issues: error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message })) });
    }
    if (error instanceof GraphError) return reply.code(400).send({ error: error.details, code: error.code });
    const status = error.statusCode !== undefined && error.statusCode < 500 ? error.statusCode : 500;
    return reply.code(status).send({ error: status === 500 ? 'internal error' : error.message });
  });

  app.get('/sandbox/info', async () => options.business);

  // Room for a customer's file sent as base64 (a 5 MB image grows to about 6.7 MB).
  app.post('/sandbox/say', { bodyLimit: 12 * 1024 * 1024 }, async (request) => {
    const { wamid, delivery } = await options.customers.act(request.body);
    return { wamid, delivery };
  });

  app.get<{ Params: { phone: string } }>('/sandbox/conversations/:phone', async (request, reply) => {
    const waId = normaliseRecipient(request.params.phone);
    const view = waId === null ? null : options.conversations.viewConversation(waId);
    if (!view) return reply.code(404).send({ error: 'no conversation with this number yet' });
    return view;
  });

  app.get<{ Querystring: { to?: string } }>('/sandbox/messages', async (request) => {
    const to = request.query.to === undefined ? undefined : (normaliseRecipient(request.query.to) ?? '');
    return { data: options.conversations.listOutbound(to) };
  });

  app.post('/sandbox/failures', async (request, reply) => reply.code(201).send(options.failures.add(request.body)));
  app.get('/sandbox/failures', async () => ({ data: options.failures.list() }));
  app.delete('/sandbox/failures', async () => {
    options.failures.clear();
    return { success: true };
  });

  app.post('/sandbox/templates/status', async (request, reply) => {
    const { name, language, status, reason } = templateStatusSchema.parse(request.body);
    if (!options.templates.setStatus(name, language, status, reason ?? null)) return reply.code(404).send({ error: 'no such template' });
    return { success: true };
  });

  app.get('/sandbox/deliveries', async () => options.getDeliveryStats());
}
