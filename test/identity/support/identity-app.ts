import { createAuditLog } from '../../../src/audit/audit-log.js';
import { Writable } from 'node:stream';
import type { FastifyInstance, LightMyRequestResponse, RouteOptions } from 'fastify';
import type { Clock } from '../../../src/clock.js';
import type { SettingName } from '../../../src/config/config-schema.js';
import type { Config } from '../../../src/config/load-config.js';
import { createInboxSlice } from '../../../src/conversations/inbox-slice.js';
import { createMediaSlice } from '../../../src/conversations/media-slice.js';
import { registerAuditRoutes } from '../../../src/audit/audit-routes.js';
import type { AuditLog } from '../../../src/audit/audit-log.js';
import type { BlindIndex } from '../../../src/crypto/blind-index.js';
import type { KeyStore } from '../../../src/crypto/key-store.js';
import { registerSettingsRoutes } from '../../../src/http/settings-routes.js';
import { createBlindIndex } from '../../../src/crypto/blind-index.js';
import { createDataKeyCache } from '../../../src/crypto/data-key-cache.js';
import { createKeyStore } from '../../../src/crypto/key-store.js';
import { createKmsProvider } from '../../../src/crypto/kms-factory.js';
import { createDatabase } from '../../../src/db/database.js';
import type { Database } from '../../../src/db/database.js';
import { migrateToLatest } from '../../../src/db/migrate.js';
import { registerApi } from '../../../src/http/api-plugin.js';
import { createApp } from '../../../src/http/create-app.js';
import { createApiKeyService } from '../../../src/identity/api-key-service.js';
import type { ApiKeyService } from '../../../src/identity/api-key-service.js';
import { createIdentitySlice } from '../../../src/identity/identity-slice.js';
import type { IdentitySlice } from '../../../src/identity/identity-slice.js';
import type { SecurityEvent } from '../../../src/identity/security-event.js';
import { createSystemKeyring } from '../../../src/identity/system-keyring.js';
import { createLogger } from '../../../src/logger.js';
import { createOutboundSlice } from '../../../src/outbound/outbound-slice.js';
import { version } from '../../../src/version.js';
import type { TestDatabase } from '../../support/databases.js';
import { buildTestConfig, createTestSecrets } from '../../support/test-gateway.js';

export interface ManualClock extends Clock {
  advance(ms: number): void;
  set(ms: number): void;
}

export function createManualClock(start = Date.now()): ManualClock {
  let now = start;
  return { now: () => now, advance: (ms) => void (now += ms), set: (ms) => void (now = ms) };
}

/** argon2id at a lower cost than production so suites that sign in many times stay fast; the hasher's own test pins the defaults. */
export const fastHashOptions = { memoryCost: 8_192, timeCost: 2, parallelism: 1 };

export interface IdentityApp {
  app: FastifyInstance;
  database: Database;
  config: Config;
  identity: IdentitySlice;
  apiKeys: ApiKeyService;
  clock: ManualClock;
  keys: KeyStore;
  index: BlindIndex;
  audit: AuditLog;
  /** Every security event the slice reported, in order (the audit log's stand-in). */
  events: SecurityEvent[];
  close(): Promise<void>;
}

/**
 * The HTTP app as the composition root builds it (API plugin with the identity guard, the identity
 * routes and the three existing API route files), on a real database and key store.
 */
export async function startIdentityApp(
  database: TestDatabase,
  options: {
    clock?: ManualClock;
    overrides?: Partial<Record<SettingName, string>>;
    hashOptions?: typeof fastHashOptions | Record<string, never>;
    /** Sees every route as it registers (the permission matrix enumerates them). */
    onRoute?: (route: RouteOptions) => void;
  } = {},
): Promise<IdentityApp> {
  const clock = options.clock ?? createManualClock();
  const config = buildTestConfig(database, createTestSecrets(), { RAMPART_LOG_LEVEL: 'silent', ...options.overrides });
  const logger = createLogger('silent', new Writable({ write: (_chunk, _encoding, done) => done() }));
  const db = createDatabase(config.database);
  await migrateToLatest(db.db);
  const kms = await createKmsProvider(config, { clock });
  const keys = createKeyStore({ kms, cache: createDataKeyCache({ ...config.dataKeyCache, maxEntries: 1_000, clock }) });
  const index = createBlindIndex(await keys.loadIndexRootKey(db.db));
  const outbound = await createOutboundSlice({ config, logger, clock, database: db, keys, index, graph: null, onQueued: () => undefined });
  const audit = createAuditLog({ db: db.db, dialect: db.dialect, signer: null, clock, logger });
  const media = createMediaSlice({ config, clock, db: db.db, keys, graph: null, audit });
  const inbox = createInboxSlice({ config, clock, database: db, keys, index, audit, sends: outbound.sends });
  const apiKeys = createApiKeyService({ db: db.db, clock });
  const events: SecurityEvent[] = [];
  const identity = createIdentitySlice({
    db: db.db,
    clock,
    settings: config.identity,
    secretKeys: createSystemKeyring(keys, db.db),
    apiKeys,
    recordSecurityEvent: async (event) => void events.push(event),
    passwordHashOptions: options.hashOptions ?? fastHashOptions,
  });
  const app = await createApp({
    config,
    logger,
    readinessChecks: [],
    registerRoutes: async (root) => {
      if (options.onRoute) root.addHook('onRoute', options.onRoute);
      await registerApi(root, {
        apiKeys,
        identity: identity.guard,
        version,
        registerRoutes: async (api) => {
          await identity.registerRoutes(api);
          await outbound.registerRoutes(api);
          await media.registerRoutes(api);
          await inbox.registerRoutes(api);
          await registerAuditRoutes(api, { db: db.db, audit, clock });
          await registerSettingsRoutes(api, { config });
        },
      });
    },
  });
  await app.ready();
  return {
    app,
    database: db,
    config,
    identity,
    apiKeys,
    clock,
    keys,
    index,
    audit,
    events,
    close: async () => {
      await app.close();
      await outbound.close();
      await audit.close();
      await kms.close();
      await db.close();
    },
  };
}

/** The cookie header a browser would send back after this response. */
export function cookieHeaderFrom(response: LightMyRequestResponse): string {
  const session = response.cookies.find((cookie) => cookie.name === 'rampart_session');
  if (!session?.value) throw new Error(`no session cookie in the answer (status ${response.statusCode}: ${response.body.slice(0, 200)})`);
  return `rampart_session=${session.value}`;
}
