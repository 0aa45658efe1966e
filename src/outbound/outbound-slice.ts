import type { FastifyInstance } from 'fastify';
import type { Clock } from '../clock.js';
import type { Config } from '../config/load-config.js';
import type { BlindIndex } from '../crypto/blind-index.js';
import type { KeyStore } from '../crypto/key-store.js';
import type { Database } from '../db/database.js';
import type { JobHandler } from '../db/outbox-worker.js';
import type { Logger } from '../logger.js';
import { createGraphClient } from './graph-client.js';
import type { GraphClient } from './graph-client.js';
import { registerMediaUploadRoutes } from './media-upload-routes.js';
import { createRetryPolicy } from './retry-policy.js';
import { createSendGovernor } from './send-governor.js';
import { createSendJobHandler } from './send-job.js';
import { registerSendRoutes } from './send-routes.js';
import { createSendService } from './send-service.js';
import { createSenderPauses } from './sender-pauses.js';
import { createOutboundStatusReaction } from './status-reaction.js';
import { createTemplateCatalog } from './template-catalog.js';

/** The Graph API client, when an access token and a phone number id are configured. */
export function createConfiguredGraphClient(config: Config): GraphClient | null {
  const { accessToken, phoneNumberId, graphUrl, apiVersion } = config.whatsapp;
  return accessToken && phoneNumberId ? createGraphClient({ graphUrl, apiVersion, accessToken }) : null;
}

/**
 * The send path: the API side (service and routes) always, the sender job when the Graph API is
 * configured. The worker that runs the job is shared with other slices and built by the root.
 */
export async function createOutboundSlice(options: {
  config: Config;
  logger: Logger;
  clock: Clock;
  database: Database;
  keys: KeyStore;
  index: BlindIndex;
  graph: GraphClient | null;
  /** Called after a send is queued (the root wakes the worker). */
  onQueued(): void;
}) {
  const { config, logger, clock, database, keys, index, graph } = options;
  const { phoneNumberId, businessAccountId } = config.whatsapp;
  if (!graph) logger.info('sending is off: set WHATSAPP_ACCESS_TOKEN and WHATSAPP_PHONE_NUMBER_ID to send messages');
  const templates = createTemplateCatalog({ listTemplates: graph && businessAccountId ? () => graph.listTemplates(businessAccountId) : null, clock });
  const sends = createSendService({
    database,
    keys,
    index,
    clock,
    templates,
    phoneNumberId: graph ? phoneNumberId : null,
    verifiedDomains: config.outbound.verifiedDomains,
    onQueued: options.onQueued,
  });
  const handlers: JobHandler[] = [];
  const governor = createSendGovernor({ ...config.outbound, clock });
  const sweeper = setInterval(() => governor.forgetIdleRecipients(), 60_000).unref();
  if (graph) {
    // A restart is how a renewed access token takes effect: give the number another chance.
    await database.db.deleteFrom('sender_pauses').where('error_code', '=', 190).execute();
    const pauses = createSenderPauses({ db: database.db, clock });
    const policy = createRetryPolicy({ maxAttempts: config.outbound.maxAttempts, baseDelayMs: config.outbound.retryBaseMs });
    handlers.push(createSendJobHandler({ db: database.db, keys, index, graph, governor, policy, pauses, clock, logger }));
  }
  return {
    sends,
    handlers,
    reactions: [createOutboundStatusReaction({ clock })],
    registerRoutes: async (api: FastifyInstance) => {
      await registerSendRoutes(api, { sends });
      await registerMediaUploadRoutes(api, { graph, phoneNumberId: graph ? phoneNumberId : null, maxBytes: config.media.maxBytes });
    },
    close: async () => clearInterval(sweeper),
  };
}
