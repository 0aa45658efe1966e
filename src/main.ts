import { mkdirSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { systemClock } from './clock.js';
import type { Clock } from './clock.js';
import type { Config } from './config/load-config.js';
import { createEventStore } from './conversations/event-store.js';
import type { StoreResult } from './conversations/event-store.js';
import { createMessageReader } from './conversations/message-reader.js';
import type { MessageReader } from './conversations/message-reader.js';
import { createBlindIndex } from './crypto/blind-index.js';
import type { BlindIndex } from './crypto/blind-index.js';
import { createDataKeyCache } from './crypto/data-key-cache.js';
import { createKeyStore } from './crypto/key-store.js';
import { createLocalKms, parseMasterKey } from './crypto/local-kms.js';
import { createDatabase } from './db/database.js';
import type { Database } from './db/database.js';
import { createGroupCommitWriter } from './db/group-commit-writer.js';
import { migrateToLatest } from './db/migrate.js';
import { createApp } from './http/create-app.js';
import { createIngestService } from './ingress/ingest-service.js';
import type { IngressEvent } from './ingress/ingress-event.js';
import { registerWebhookRoutes } from './ingress/webhook-routes.js';
import type { Logger } from './logger.js';
import { registerApi } from './http/api-plugin.js';
import { createOutboxWorker } from './db/outbox-worker.js';
import type { OutboxWorker } from './db/outbox-worker.js';
import { createApiKeyService } from './identity/api-key-service.js';
import type { ApiKeyService } from './identity/api-key-service.js';
import { createGraphClient } from './outbound/graph-client.js';
import { createRetryPolicy } from './outbound/retry-policy.js';
import { createSendGovernor } from './outbound/send-governor.js';
import { createSendJobHandler } from './outbound/send-job.js';
import { registerSendRoutes } from './outbound/send-routes.js';
import { createSendService } from './outbound/send-service.js';
import type { SendService } from './outbound/send-service.js';
import { createSenderPauses } from './outbound/sender-pauses.js';
import { createTemplateCatalog } from './outbound/template-catalog.js';
import { queueOutboundMessage } from './outbound/send-service.js';
import { createKeywordMatcher } from './privacy/consent-keywords.js';
import { createConsentReactions } from './privacy/consent-reactions.js';
import type { ConsentConfirmation } from './privacy/consent-reactions.js';
import { version } from './version.js';

export interface Rampart {
  readonly app: FastifyInstance;
  readonly database: Database;
  /** Decrypting reads (for operators' commands and tests; the dashboard adds an audited path). */
  readonly reader: MessageReader;
  /** Keyed blind indexes (phone numbers, message ids) of this deployment. */
  readonly index: BlindIndex;
  readonly apiKeys: ApiKeyService;
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
  /** Run the outbox worker in this process (default true). */
  runWorkers?: boolean;
}

/** The composition root: config → db → kms → services → http. Nothing listens until `listen`. */
export async function buildRampart({ config, logger, clock = systemClock, runWorkers = true }: BuildRampartOptions): Promise<Rampart> {
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const database = createDatabase(config.database);
  const closers: (() => Promise<unknown>)[] = [() => database.close()];
  try {
    await migrateToLatest(database.db);
    const kms = await createLocalKms({ keyringPath: config.kms.keyringPath, masterKey: parseMasterKey(config.kms.masterKey.reveal()), clock });
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
    const eventStore = createEventStore({ keys, index, clock, reactions: [createConsentReactions({ matcher: createKeywordMatcher(keywordsOf(config)), clock, confirmation: consentConfirmation(config, clock) })] });

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
    const ingest = createIngestService({ writer });

    const outbound = await buildOutbound({ config, logger, clock, database, keys, index, runWorkers });
    closers.unshift(outbound.close);
    const apiKeys = createApiKeyService({ db: database.db, clock });

    const redis = config.http.redisUrl ? connectRedis(config.http.redisUrl.reveal(), logger) : null;
    if (redis) closers.push(() => redis.quit().catch(() => redis.disconnect()));

    const app = await createApp({
      config,
      logger,
      readinessChecks: [
        { name: 'database', isReady: () => database.ping() },
        { name: 'writer-queue', isReady: async () => writer.queueDepth() < config.writer.maxQueue * 0.8 },
      ],
      registerRoutes: async (root) => {
        await root.register(registerWebhookRoutes, { config, ingest, redis });
        await registerApi(root, { apiKeys, version, registerRoutes: (api) => registerSendRoutes(api, { sends: outbound.sends }) });
      },
    });
    // Fastify's close waits for in-flight requests, which wait for their batches.
    closers.unshift(() => app.close());
    return {
      app,
      database,
      index,
      apiKeys,
      sends: outbound.sends,
      worker: outbound.worker,
      reader: createMessageReader({ db: database.db, keys, index }),
      close: () => runClosers(closers),
    };
  } catch (error) {
    await runClosers(closers);
    throw error;
  }
}

/** The send path: service (API side), and when sending is configured, the Graph client and the outbox worker. */
async function buildOutbound(options: {
  config: Config;
  logger: Logger;
  clock: Clock;
  database: Database;
  keys: ReturnType<typeof createKeyStore>;
  index: BlindIndex;
  runWorkers: boolean;
}): Promise<{ sends: SendService; worker: OutboxWorker | null; close(): Promise<void> }> {
  const { config, logger, clock, database, keys, index } = options;
  const { accessToken, phoneNumberId, businessAccountId } = config.whatsapp;
  const graph = accessToken && phoneNumberId ? createGraphClient({ graphUrl: config.whatsapp.graphUrl, apiVersion: config.whatsapp.apiVersion, accessToken }) : null;
  if (!graph) logger.info('sending is off: set WHATSAPP_ACCESS_TOKEN and WHATSAPP_PHONE_NUMBER_ID to send messages');
  const templates = createTemplateCatalog({ listTemplates: graph && businessAccountId ? () => graph.listTemplates(businessAccountId) : null, clock });
  let worker: OutboxWorker | null = null;
  const sends = createSendService({ database, keys, index, clock, templates, phoneNumberId: graph ? phoneNumberId : null, onQueued: () => worker?.wake() });
  if (graph && options.runWorkers) {
    const pauses = createSenderPauses({ db: database.db, clock });
    // A restart is how a renewed access token takes effect: give the number another chance.
    await database.db.deleteFrom('sender_pauses').where('error_code', '=', 190).execute();
    const governor = createSendGovernor({ ...config.outbound, clock });
    const sweeper = setInterval(() => governor.forgetIdleRecipients(), 60_000).unref();
    const handler = createSendJobHandler({ db: database.db, keys, index, graph, governor, policy: createRetryPolicy({ maxAttempts: config.outbound.maxAttempts }), pauses, clock, logger });
    worker = createOutboxWorker({ database, handlers: [handler], clock, logger, concurrency: config.outbound.concurrency });
    worker.start();
    const started = worker;
    return {
      sends,
      worker,
      close: async () => {
        clearInterval(sweeper);
        await started.stop();
        graph.close();
      },
    };
  }
  return { sends, worker, close: async () => graph?.close() };
}

function keywordsOf(config: Config) {
  return {
    ...(config.consent.optOutKeywords ? { optOut: config.consent.optOutKeywords } : {}),
    ...(config.consent.optInKeywords ? { optIn: config.consent.optInKeywords } : {}),
  };
}

/** Confirms a STOP/START keyword to the customer from the number they wrote to, when sending is configured. */
function consentConfirmation(config: Config, clock: Clock): ConsentConfirmation | null {
  const { accessToken, phoneNumberId } = config.whatsapp;
  if (!accessToken || !phoneNumberId) return null;
  return {
    async send(trx, contact, toPhoneNumberId, action) {
      const body = action === 'opt-out' ? config.consent.optOutReply : config.consent.optInReply;
      if (body === null || toPhoneNumberId !== phoneNumberId) return;
      await queueOutboundMessage(trx, { contact, phoneNumberId, message: { type: 'text', text: { body } }, apiKeyId: null, now: clock.now() });
    },
  };
}

function connectRedis(url: string, logger: Logger): Redis {
  const redis = new Redis(url, {
    // Fail fast while Redis is away: rate limiting then falls back to accepting.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2_000,
    // A connected but stalled Redis must not hold webhooks: past this, the limiter skips the check.
    commandTimeout: 250,
    keepAlive: 10_000,
    lazyConnect: false,
  });
  let isDown = false;
  redis.on('error', (error) => {
    if (!isDown) logger.warn({ err: error }, 'redis unreachable; webhook rate limiting is paused until it returns');
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
