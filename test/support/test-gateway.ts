import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import type { SettingName } from '../../src/config/config-schema.js';
import { loadConfig } from '../../src/config/load-config.js';
import type { Config } from '../../src/config/load-config.js';
import { signWebhookBody } from '../../src/ingress/signature.js';
import { createLogger } from '../../src/logger.js';
import { buildRampart } from '../../src/main.js';
import type { Rampart } from '../../src/main.js';
import { createSqliteDatabase } from './databases.js';
import { testKmsConfigOverrides } from './test-kms.js';
import type { TestDatabase } from './databases.js';

export interface TestSecrets {
  appSecret: string;
  verifyToken: string;
  masterKey: string;
}

export function createTestSecrets(): TestSecrets {
  return {
    appSecret: randomBytes(16).toString('hex'),
    verifyToken: randomBytes(12).toString('hex'),
    masterKey: randomBytes(32).toString('base64'),
  };
}

export function buildTestConfig(database: TestDatabase, secrets: TestSecrets, overrides: Partial<Record<SettingName, string>> = {}): Config {
  return loadConfig({
    env: {},
    overrides: {
      RAMPART_DATA_DIR: database.dataDir,
      ...(database.url ? { RAMPART_DATABASE_URL: database.url } : {}),
      RAMPART_PORT: '0',
      RAMPART_LOG_LEVEL: 'info',
      WHATSAPP_APP_SECRET: secrets.appSecret,
      WHATSAPP_VERIFY_TOKEN: secrets.verifyToken,
      RAMPART_MASTER_KEY: secrets.masterKey,
      ...testKmsConfigOverrides(),
      ...overrides,
    },
  });
}

export interface TestGateway {
  rampart: Rampart;
  /** Base URL of the listening server. */
  url: string;
  secrets: TestSecrets;
  /** Everything the gateway logged so far. */
  logs(): string;
  post(body: string | Buffer, options?: { signature?: string | null; headers?: Record<string, string> }): Promise<Response>;
  close(): Promise<void>;
}

/** A real Rampart listening on a free port, with its log captured in memory. */
export async function startTestGateway(
  database: TestDatabase,
  options: { secrets?: TestSecrets; overrides?: Partial<Record<SettingName, string>>; listen?: boolean; runWorkers?: boolean } = {},
): Promise<TestGateway> {
  const secrets = options.secrets ?? createTestSecrets();
  const config = buildTestConfig(database, secrets, options.overrides);
  const chunks: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(Buffer.from(chunk));
      done();
    },
  });
  const rampart = await buildRampart({ config, logger: createLogger(config.logLevel, sink), runWorkers: options.runWorkers ?? true });
  const url = options.listen === false ? '' : await rampart.app.listen({ host: '127.0.0.1', port: 0 });
  return {
    rampart,
    url,
    secrets,
    logs: () => Buffer.concat(chunks).toString('utf8'),
    post: (body, postOptions = {}) => {
      const signature = postOptions.signature === undefined ? signWebhookBody(secrets.appSecret, body) : postOptions.signature;
      return fetch(`${url}/webhooks/whatsapp`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(signature === null ? {} : { 'x-hub-signature-256': signature }),
          ...postOptions.headers,
        },
        body,
      });
    },
    close: () => rampart.close(),
  };
}

/**
 * Gateways on fresh SQLite data dirs, each closed and its directory removed by `closeAll`
 * (call it from afterEach).
 */
export function createGatewayPool() {
  const cleanups: (() => Promise<void>)[] = [];
  return {
    async start(overrides: Partial<Record<SettingName, string>> = {}): Promise<TestGateway> {
      const database = await createSqliteDatabase();
      const gateway = await startTestGateway(database, { overrides });
      cleanups.push(async () => {
        await gateway.close();
        await database.drop();
      });
      return gateway;
    },
    async closeAll(): Promise<void> {
      for (const cleanup of cleanups.splice(0)) await cleanup();
    },
  };
}
