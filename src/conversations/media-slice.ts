import type { FastifyInstance } from 'fastify';
import type { AuditLog } from '../audit/audit-log.js';
import type { Clock } from '../clock.js';
import type { Config } from '../config/load-config.js';
import type { KeyStore } from '../crypto/key-store.js';
import type { Db } from '../db/database.js';
import type { JobHandler } from '../db/outbox-worker.js';
import type { GraphClient } from '../outbound/graph-client.js';
import { createRetryPolicy } from '../outbound/retry-policy.js';
import type { StoreReaction } from './event-store.js';
import { createMediaFetchJobHandler, createMediaReaction } from './media-fetch.js';
import { registerMediaRoutes } from './media-routes.js';

/** Inbound media: fetched after the message is stored (needs the Graph API), served to `media:read` keys. */
export function createMediaSlice({ config, clock, db, keys, graph, audit }: { config: Config; clock: Clock; db: Db; keys: KeyStore; graph: GraphClient | null; audit: Pick<AuditLog, 'auditedAccess'> }) {
  const reactions: StoreReaction[] = graph ? [createMediaReaction({ clock })] : [];
  const handlers: JobHandler[] = graph
    ? [createMediaFetchJobHandler({ db, keys, graph, clock, maxBytes: config.media.maxBytes, allowsHttp: config.isSandbox, backoff: createRetryPolicy().backoff })]
    : [];
  return { reactions, handlers, registerRoutes: (api: FastifyInstance) => registerMediaRoutes(api, { db, keys, audit }) };
}
