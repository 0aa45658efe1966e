import { mkdirSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { createAuditLog } from './audit/audit-log.js';
import type { AuditLog } from './audit/audit-log.js';
import { registerAuditRoutes } from './audit/audit-routes.js';
import { loadAuditSigner } from './audit/audit-signer.js';
import { toAuditEntry } from './audit/security-event-entry.js';
import { systemClock } from './clock.js';
import type { Clock } from './clock.js';
import type { Config } from './config/load-config.js';
import { createEventStore } from './conversations/event-store.js';
import type { StoreResult } from './conversations/event-store.js';
import { createInboxSlice } from './conversations/inbox-slice.js';
import { createMediaSlice } from './conversations/media-slice.js';
import { createMessageReader } from './conversations/message-reader.js';
import type { MessageReader } from './conversations/message-reader.js';
import { createBlindIndex } from './crypto/blind-index.js';
import type { BlindIndex } from './crypto/blind-index.js';
import { createDataKeyCache } from './crypto/data-key-cache.js';
import { createKeyStore } from './crypto/key-store.js';
import { createKmsProvider } from './crypto/kms-factory.js';
import { createDatabase } from './db/database.js';
import type { Database } from './db/database.js';
import { createGroupCommitWriter } from './db/group-commit-writer.js';
import { migrateToLatest } from './db/migrate.js';
import { createOutboxWorker } from './db/outbox-worker.js';
import type { OutboxWorker } from './db/outbox-worker.js';
import { registerApi } from './http/api-plugin.js';
import { createApp } from './http/create-app.js';
import { createGatewayMetrics, registerMetricsRoute } from './http/metrics.js';
import { createMetricsSources } from './http/metrics-sources.js';
import { registerDashboard } from './http/dashboard-routes.js';
import { registerSettingsRoutes } from './http/settings-routes.js';
import { createApiKeyService } from './identity/api-key-service.js';
import { createIdentitySlice } from './identity/identity-slice.js';
import type { IdentitySlice } from './identity/identity-slice.js';
import { createSystemKeyring } from './identity/system-keyring.js';
import type { ApiKeyService } from './identity/api-key-service.js';
import { createForwardingSlice } from './forwarding/forwarding-slice.js';
import { createIngestService } from './ingress/ingest-service.js';
import type { IngressEvent } from './ingress/ingress-event.js';
import { registerWebhookRoutes } from './ingress/webhook-routes.js';
import type { Logger } from './logger.js';
import { createConfiguredGraphClient, createOutboundSlice } from './outbound/outbound-slice.js';
import type { SendService } from './outbound/send-service.js';
import { createConsentReaction } from './privacy/consent-slice.js';
import { version } from './version.js';

export interface Rampart {
  readonly app: FastifyInstance;
  readonly database: Database;
  /** Decrypting reads (for operators' commands and tests; the dashboard adds an audited path). */
  readonly reader: MessageReader;
  /** Keyed blind indexes (phone numbers, message ids) of this deployment. */
  readonly index: BlindIndex;
  readonly apiKeys: ApiKeyService;
  /** The tamper-evident audit log (RFC 9162 tree, signed checkpoints). */
  readonly audit: AuditLog;
  /** Users, roles, sessions and second factors of the dashboard's staff. */
  readonly identity: IdentitySlice;
  readonly sends: SendService;
  /** Runs outbox jobs (sends); null when sending is not configured. */
  readonly worker: OutboxWorker | null;
  /** Stops accepting, lets in-flight batches commit, then closes the database and connections. */
  close(): Promise<void>;
}

export interface BuildRampartOptions {
  config: Config;
  logger: Logger;
  clock?: Clock;
  /** Run the outbox worker in this process (default: `RAMPART_WORKERS`, on). */
  runWorkers?: boolean;
}

/** The composition root: config → db → kms → services → http. Nothing listens until `listen`. */
export async function buildRampart({ config, logger, clock = systemClock, runWorkers = config.outbound.runsWorkers }: BuildRampartOptions): Promise<Rampart> {
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const database = createDatabase(config.database);
  const closers: (() => Promise<unknown>)[] = [() => database.close()];
  try {
    await migrateToLatest(database.db);
    const kms = await createKmsProvider(config, { clock });
    closers.unshift(() => kms.close());
    const cache = createDataKeyCache({ ...config.dataKeyCache, maxEntries: 50_000, clock });
    // Expired keys leave memory even when nobody asks for them again.
    const sweeper = setInterval(() => cache.evictExpired(), 30_000).unref();
    closers.push(async () => {
      clearInterval(sweeper);
      cache.clear();
    });
    const keys = createKeyStore({ kms, cache });
    const index = createBlindIndex(await keys.loadIndexRootKey(database.db));
    const auditSigner = await loadAuditSigner({ db: database.db, kms, logger, clock });
    const audit = createAuditLog({ db: database.db, dialect: database.dialect, signer: auditSigner, clock, logger: logger.child({ component: 'audit' }) });
    audit.startCheckpointer({ intervalMs: 60_000 });
    // After everything that may still append (app, workers, ingress writer), before the KMS and database.
    closers.unshift(() => audit.close());
    logger.info({ auditVerifierKey: audit.verifierKey }, 'audit checkpoints are signed with this key; pin it for `rampart audit verify --verifier-key`');
    const graph = createConfiguredGraphClient(config);
    if (graph) closers.push(async () => graph.close());
    let worker: OutboxWorker | null = null;
    const outbound = await createOutboundSlice({ config, logger, clock, database, keys, index, graph, onQueued: () => worker?.wake() });
    closers.push(outbound.close);
    const media = createMediaSlice({ config, clock, db: database.db, keys, graph, audit });
    const inbox = createInboxSlice({ config, clock, database, keys, index, audit, sends: outbound.sends });
    const consent = createConsentReaction({ config, clock });
    const forwarding = createForwardingSlice({ config, clock, logger, db: database.db, keys });
    const eventStore = createEventStore({ keys, index, clock, reactions: [consent, ...outbound.reactions, ...media.reactions, ...forwarding.reactions] });

    const writer = createGroupCommitWriter<readonly IngressEvent[], StoreResult>({
      db: database.db,
      maxBatch: config.writer.maxBatch,
      maxQueue: config.writer.maxQueue,
      weightOf: (events) => events.length,
      maxConcurrentBatches: database.dialect === 'sqlite' ? 1 : 4,
      applyBatch: (trx, requests) => eventStore.storeBatch(trx, requests),
      onCommitError: (error, batchSize) => logger.warn({ err: error, batchSize }, 'a batch failed to commit'),
    });
    closers.unshift(() => writer.close());
    const metrics = createGatewayMetrics({ sources: createMetricsSources({ db: database.db, audit, writerQueueDepth: () => writer.queueDepth() }), clock, logger: logger.child({ component: 'metrics' }) });
    const ingest = metrics.instrumentIngest(createIngestService({ writer }));

    const handlers = [...outbound.handlers, ...media.handlers, ...forwarding.handlers];
    if (runWorkers && handlers.length > 0) {
      const started = createOutboxWorker({ database, handlers, clock, logger, concurrency: config.outbound.concurrency, leaseMs: config.outbound.leaseMs });
      started.start();
      worker = started;
      // After the HTTP server (nothing new is queued) and before the writer and the database.
      closers.unshift(() => started.stop());
    }
    const apiKeys = createApiKeyService({ db: database.db, clock });
    const identity = createIdentitySlice({
      db: database.db,
      clock,
      settings: config.identity,
      secretKeys: createSystemKeyring(keys, database.db),
      apiKeys,
      recordSecurityEvent: async (event) => {
        await audit.append(toAuditEntry(event));
      },
    });

    const redis = config.http.redisUrl ? connectRedis(config.http.redisUrl.reveal(), logger) : null;
    if (redis) closers.push(() => redis.quit().catch(() => redis.disconnect()));

    const app = await createApp({
      config,
      logger,
      onResponse: metrics.recordResponse,
      readinessChecks: [
        { name: 'database', isReady: () => database.ping() },
        { name: 'writer-queue', isReady: async () => writer.queueDepth() < config.writer.maxQueue * 0.8 },
        // A store that refuses writes (a full disk) still answers reads: unready while commits fail,
        // ready again a few seconds later so that traffic can show whether it has recovered.
        { name: 'writer-commits', isReady: async () => isCommitting(writer.lastFailedAt()) },
      ],
      registerRoutes: async (root) => {
        await root.register(registerWebhookRoutes, { config, ingest, redis });
        await registerApi(root, {
          apiKeys,
          identity: identity.guard,
          version,
          registerRoutes: async (api) => {
            await identity.registerRoutes(api);
            await outbound.registerRoutes(api);
            await media.registerRoutes(api);
            await inbox.registerRoutes(api);
            await registerAuditRoutes(api, { db: database.db, audit, clock });
            await registerSettingsRoutes(api, { config });
            await registerMetricsRoute(api, { metrics });
          },
        });
        await root.register(registerDashboard);
      },
    });
    // Fastify's close waits for in-flight requests, which wait for their batches.
    closers.unshift(() => app.close());
    return {
      app,
      database,
      index,
      apiKeys,
      audit,
      identity,
      sends: outbound.sends,
      worker,
      reader: createMessageReader({ db: database.db, keys, index }),
      close: () => runClosers(closers),
    };
  } catch (error) {
    await runClosers(closers);
    throw error;
  }
}

const COMMIT_FAILURE_COOL_DOWN_MS = 5_000;

function isCommitting(lastFailedAt: number | null): boolean {
  return lastFailedAt === null || Date.now() - lastFailedAt > COMMIT_FAILURE_COOL_DOWN_MS;
}

function connectRedis(url: string, logger: Logger): Redis {
  const redis = new Redis(url, {
    // Fail fast while Redis is away: rate limits are then counted per process (fallback-rate-limit-store.ts).
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2_000,
    // A connected but stalled Redis must not hold webhooks: past this, the process counts on its own.
    commandTimeout: 250,
    keepAlive: 10_000,
    lazyConnect: false,
  });
  let isDown = false;
  redis.on('error', (error) => {
    if (!isDown) logger.warn({ err: error }, 'redis unreachable; webhook rate limits are counted per process until it returns');
    isDown = true;
  });
  redis.on('ready', () => {
    if (isDown) logger.info('redis reachable again');
    isDown = false;
  });
  return redis;
}

async function runClosers(closers: readonly (() => Promise<unknown>)[]): Promise<void> {
  for (const close of closers) {
    try {
      await close();
    } catch {
      // Keep closing the rest; a half-closed process is worse than a logged failure.
    }
  }
}
