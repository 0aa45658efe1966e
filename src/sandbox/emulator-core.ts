import { randomBytes } from 'node:crypto';
import Fastify, { LogController } from 'fastify';
import type { FastifyInstance } from 'fastify';
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import { createConversationStore } from './conversation-store.js';
import { registerControlRoutes } from './control-routes.js';
import { createCustomerSimulator } from './customer-simulator.js';
import type { EmulatorSettings } from './emulator-options.js';
import { createFailureInjector } from './failure-injector.js';
import { GraphError } from './graph-errors.js';
import { registerGraphRoutes } from './graph-routes.js';
import { createMediaStore } from './media-store.js';
import { createMessageSender } from './message-sender.js';
import { registerPageRoutes } from './page-routes.js';
import { createSeededRandom } from './seeded-random.js';
import { createStatusEmitter } from './status-emitter.js';
import { createTemplateStore } from './template-store.js';
import { createTimerSet } from './timer-set.js';
import { createWebhookDelivery } from './webhook-delivery.js';
import { buildTemplateStatusWebhook } from './webhook-payloads.js';

/** Addresses that change while the emulator runs. */
export interface EmulatorAddresses {
  webhookUrl: string | null;
  /** Base of handed-out media URLs: the listening address once listening. */
  publicUrl: string;
}

export interface EmulatorCoreOptions {
  settings: EmulatorSettings;
  addresses: EmulatorAddresses;
  clock: Clock;
  logger: Logger;
}

export type EmulatorCore = ReturnType<typeof createEmulatorCore>;

/** Wires the emulator's services; nothing here does I/O until a webhook is delivered. */
export function createEmulatorCore({ settings, addresses, clock, logger }: EmulatorCoreOptions) {
  const number = { phoneNumberId: settings.phoneNumberId, displayPhoneNumber: settings.displayPhoneNumber, wabaId: settings.wabaId };
  const timers = createTimerSet();
  const delivery = createWebhookDelivery({
    getWebhookUrl: () => addresses.webhookUrl,
    appSecret: settings.appSecret,
    retry: settings.webhookRetry,
    timeoutMs: settings.webhookTimeoutMs,
    maxConcurrent: settings.maxConcurrentWebhooks,
    clock,
    timers,
    logger,
  });
  const deliverInBackground = (payload: object) => void delivery.deliver(payload);
  const conversations = createConversationStore({ clock });
  const media = createMediaStore({ clock, getPublicUrl: () => addresses.publicUrl, urlKey: randomBytes(32) });
  const failures = createFailureInjector();
  const templates = createTemplateStore({
    clock,
    timers,
    reviewDelayMs: settings.templateReviewDelayMs,
    onStatusChange: (event) => deliverInBackground(buildTemplateStatusWebhook(settings.wabaId, event, clock.now())),
  });
  const statuses = createStatusEmitter({
    number,
    delaysMs: settings.statusDelaysMs,
    chaos: settings.chaos,
    random: createSeededRandom(settings.chaos.seed),
    clock,
    timers,
    conversations,
    deliver: deliverInBackground,
  });
  const sender = createMessageSender({ clock, logger, ...settings, conversations, templates, media, failures, statuses });
  const customers = createCustomerSimulator({ number, clock, logger, conversations, media, deliver: (payload) => delivery.deliver(payload) });
  return { number, timers, delivery, conversations, media, failures, templates, sender, customers };
}

/** The HTTP surface: Graph API paths, `/sandbox/…` control routes and the customer page. */
export async function createEmulatorApp(core: EmulatorCore, settings: EmulatorSettings, controlToken: string, logger: Logger): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: logger,
    // Request lines would log paths such as /sandbox/conversations/<phone number>.
    logController: new LogController({ disableRequestLogging: true }),
    forceCloseConnections: true,
    bodyLimit: 1024 * 1024,
  }) as unknown as FastifyInstance;
  app.setNotFoundHandler((_request, reply) => {
    const error = new GraphError(2500, { message: 'Unknown path components' });
    return reply.code(error.httpStatus).send(error.toBody());
  });
  await app.register(registerGraphRoutes, {
    ...core.number,
    verifiedName: settings.verifiedName,
    accessToken: settings.accessToken,
    sender: core.sender,
    media: core.media,
    templates: core.templates,
  });
  await app.register(registerControlRoutes, {
    controlToken,
    customers: core.customers,
    conversations: core.conversations,
    failures: core.failures,
    templates: core.templates,
    business: core.number,
    getDeliveryStats: () => core.delivery.stats(),
  });
  await app.register(registerPageRoutes);
  return app;
}
