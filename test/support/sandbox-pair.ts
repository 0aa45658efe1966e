import type { SettingName } from '../../src/config/config-schema.js';
import { startCloudApiEmulator } from '../../src/sandbox/cloud-api-emulator.js';
import type { CloudApiEmulator, StartCloudApiEmulatorOptions } from '../../src/sandbox/cloud-api-emulator.js';
import { createSqliteDatabase } from './databases.js';
import type { TestDatabase } from './databases.js';
import { createTestSecrets, startTestGateway } from './test-gateway.js';
import type { TestGateway } from './test-gateway.js';

export interface SandboxPair {
  emulator: CloudApiEmulator;
  gateway: TestGateway;
  database: TestDatabase;
  apiKey: string;
  /** `POST /api/v1/messages` through the real HTTP server. */
  send(body: object, headers?: Record<string, string>): Promise<Response>;
  /** A customer writes, which opens their 24-hour window; resolves once the gateway stored it. */
  openWindow(phone: string): Promise<void>;
  /** Resolves when no outbox job is pending (or rejects after `timeoutMs`). */
  waitForOutbox(timeoutMs?: number): Promise<void>;
  jobs(): Promise<{ id: string; kind: string; state: string; attempts: number; last_error: string | null; subject_id: string }[]>;
  close(): Promise<void>;
}

const ACCESS_TOKEN = 'sandbox-test-access-token-0123456789';

/** The real emulator and a real gateway (in this process), wired as `rampart start --sandbox` wires them. */
export async function startSandboxPair(
  options: {
    emulator?: StartCloudApiEmulatorOptions;
    overrides?: Partial<Record<SettingName, string>>;
    database?: TestDatabase;
    /** Where the gateway finds the Graph API (default: the emulator itself; a test may put a proxy between). */
    graphUrl?: (emulator: CloudApiEmulator) => string;
  } = {},
): Promise<SandboxPair> {
  const secrets = createTestSecrets();
  const database = options.database ?? (await createSqliteDatabase());
  const emulator = await startCloudApiEmulator({ port: 0, appSecret: secrets.appSecret, accessToken: ACCESS_TOKEN, webhookUrl: null, statusDelaysMs: { sent: 20, delivered: 40, read: 60 }, ...options.emulator });
  const gateway = await startTestGateway(database, {
    secrets,
    overrides: {
      RAMPART_SANDBOX: 'true',
      WHATSAPP_GRAPH_URL: options.graphUrl ? options.graphUrl(emulator) : emulator.url()!,
      WHATSAPP_ACCESS_TOKEN: ACCESS_TOKEN,
      WHATSAPP_PHONE_NUMBER_ID: emulator.phoneNumberId,
      WHATSAPP_BUSINESS_ACCOUNT_ID: emulator.wabaId,
      RAMPART_SEND_RETRY_BASE_MS: '100',
      ...options.overrides,
    },
  });
  emulator.setWebhookUrl(`${gateway.url}/webhooks/whatsapp`);
  const apiKey = (await gateway.rampart.apiKeys.createApiKey('tests', ['messages:send', 'messages:read', 'media:read'])).key;
  const db = gateway.rampart.database.db;
  const jobs = () => db.selectFrom('outbox_jobs').select(['id', 'kind', 'state', 'attempts', 'last_error', 'subject_id']).execute();
  return {
    emulator,
    gateway,
    database,
    apiKey,
    send: (body, headers = {}) =>
      fetch(`${gateway.url}/api/v1/messages`, {
        method: 'POST',
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
      }),
    async openWindow(phone) {
      const said = await emulator.say({ from: phone, text: 'hello' });
      if (!said.delivery.isAcknowledged) throw new Error(`the gateway did not store the customer's message (${said.delivery.status})`);
    },
    async waitForOutbox(timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const pending = (await jobs()).filter((job) => job.state === 'pending');
        if (pending.length === 0) return;
        if (Date.now() > deadline) throw new Error(`${pending.length} outbox job(s) still pending: ${JSON.stringify(pending.slice(0, 3))}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    jobs,
    async close() {
      await gateway.close();
      await emulator.close();
      if (!options.database) await database.drop();
    },
  };
}
