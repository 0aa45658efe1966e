import type { Clock } from '../clock.js';
import type { Config } from '../config/load-config.js';
import type { StoreReaction } from '../conversations/event-store.js';
import type { KeyStore } from '../crypto/key-store.js';
import type { Db } from '../db/database.js';
import type { JobHandler } from '../db/outbox-worker.js';
import type { Logger } from '../logger.js';
import { createForwardJobHandler, createForwardingReaction } from './forward-job.js';
import { createForwarder } from './forwarder.js';

/** Forwarding of inbound messages and statuses to the configured internal services; nothing when none are configured. */
export function createForwardingSlice({ config, clock, logger, db, keys }: { config: Config; clock: Clock; logger: Logger; db: Db; keys: KeyStore }) {
  if (config.forwarding.endpoints.length === 0) return { reactions: [] as StoreReaction[], handlers: [] as JobHandler[] };
  const forwarder = createForwarder({ endpoints: config.forwarding.endpoints, allowedDestinations: config.forwarding.allowedDestinations, clock, logger });
  logger.info({ endpoints: config.forwarding.endpoints.map((endpoint) => endpoint.name) }, 'forwarding events to internal services');
  return {
    reactions: [createForwardingReaction({ forwarder, clock })],
    handlers: [createForwardJobHandler({ db, keys, forwarder, clock })],
  };
}
