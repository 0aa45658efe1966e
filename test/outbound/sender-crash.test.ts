import { afterEach, describe, expect, it } from 'vitest';
import { loadDatabaseConfig } from '../../src/config/load-config.js';
import { createDatabase } from '../../src/db/database.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { createApiKeyService } from '../../src/identity/api-key-service.js';
import { startCloudApiEmulator } from '../../src/sandbox/cloud-api-emulator.js';
import type { CloudApiEmulator } from '../../src/sandbox/cloud-api-emulator.js';
import { dialects, missingPostgresMessage, postgresUrl } from '../support/databases.js';
import type { TestDatabase } from '../support/databases.js';
import { spawnGateway } from '../support/gateway-process.js';
import { noteSkippedWhen } from '../support/skip-notice.js';
import { createTestSecrets } from '../support/test-gateway.js';

// Pins: kill -9 of the sending gateway loses no accepted send, and sends a message twice at most
// for the jobs that were in flight at the kill (Meta's send API has no idempotency key).

const MESSAGES = 200;
const KILL_AFTER_SENDS = 60;
const CONCURRENCY = 16;
const ACCESS_TOKEN = 'crash-test-access-token-0123456789';

for (const dialect of dialects) {
  describe.skipIf(!dialect.isAvailable)(`kill -9 while sending on ${dialect.name}`, () => {
    let database: TestDatabase | undefined;
    let emulator: CloudApiEmulator | undefined;
    afterEach(async () => {
      await emulator?.close();
      await database?.drop();
    });

    it('sends every accepted message after a restart, repeating only what was in flight', async () => {
      database = await dialect.create();
      const secrets = createTestSecrets();
      emulator = await startCloudApiEmulator({ port: 0, appSecret: secrets.appSecret, accessToken: ACCESS_TOKEN, webhookUrl: null, statusDelaysMs: { sent: 10, delivered: 20, read: null } });
      const databaseSettings = { RAMPART_DATA_DIR: database.dataDir, ...(database.url ? { RAMPART_DATABASE_URL: database.url } : {}) };
      const apiKey = await createKey(databaseSettings);
      const env = {
        ...databaseSettings,
        WHATSAPP_APP_SECRET: secrets.appSecret,
        WHATSAPP_VERIFY_TOKEN: secrets.verifyToken,
        RAMPART_MASTER_KEY: secrets.masterKey,
        WHATSAPP_ACCESS_TOKEN: ACCESS_TOKEN,
        WHATSAPP_PHONE_NUMBER_ID: emulator.phoneNumberId,
        WHATSAPP_GRAPH_URL: emulator.url()!,
        RAMPART_SEND_RATE_PER_SECOND: '100',
        RAMPART_SEND_CONCURRENCY: String(CONCURRENCY),
        RAMPART_OUTBOX_LEASE_SECONDS: '2',
      };
      const first = await spawnGateway(env);
      emulator.setWebhookUrl(`${first.url}/webhooks/whatsapp`);
      const recipients = Array.from({ length: MESSAGES }, (_, index) => `+49151${String(index).padStart(8, '0')}`);
      await Promise.all(recipients.map((from) => emulator!.say({ from, text: 'hi' })));

      // Accepted faster than they can go out (100 mps), so many are still queued at the kill.
      const accepted: string[] = [];
      const sendOne = async (index: number) => {
        const body = `order ${index} shipped`;
        const response = await fetch(`${first.url}/api/v1/messages`, {
          method: 'POST',
          headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
          body: JSON.stringify({ to: recipients[index], type: 'text', text: { body } }),
        }).catch(() => null);
        if (response?.status === 202) accepted.push(body);
      };
      const sendAll = (async () => {
        for (let start = 0; start < MESSAGES; start += 20) await Promise.all(Array.from({ length: 20 }, (_, offset) => sendOne(start + offset)));
      })();
      await waitUntil(() => countOutbound(emulator!) >= KILL_AFTER_SENDS, 20_000);
      first.child.kill('SIGKILL');
      await sendAll;
      expect(await first.exited).toBe('SIGKILL');
      const sentBeforeCrash = countOutbound(emulator);
      expect(sentBeforeCrash).toBeLessThan(accepted.length);

      const second = await spawnGateway(env);
      try {
        await waitUntil(() => new Set(outboundBodies(emulator!)).size >= accepted.length, 30_000);
      } finally {
        second.child.kill('SIGTERM');
        await second.exited;
      }
      const bodies = outboundBodies(emulator);
      const timesSent = new Map<string, number>();
      for (const body of bodies) timesSent.set(body, (timesSent.get(body) ?? 0) + 1);
      for (const body of accepted) expect(timesSent.get(body) ?? 0).toBeGreaterThanOrEqual(1);
      const duplicates = bodies.length - timesSent.size;
      // Only jobs in flight at the kill can go twice: at most one worker's concurrency.
      expect(duplicates).toBeLessThanOrEqual(CONCURRENCY);
      expect([...timesSent.values()].every((count) => count <= 2)).toBe(true);
    }, 90_000);
  });
}

noteSkippedWhen(postgresUrl === undefined, 'kill -9 while sending on postgres', missingPostgresMessage);

async function createKey(settings: Record<string, string>): Promise<string> {
  const database = createDatabase(loadDatabaseConfig({ env: {}, overrides: settings }));
  try {
    await migrateToLatest(database.db);
    return (await createApiKeyService({ db: database.db, clock: { now: () => Date.now() } }).createApiKey('crash-test', ['messages:send'])).key;
  } finally {
    await database.close();
  }
}

function outboundBodies(emulator: CloudApiEmulator): string[] {
  return emulator
    .sentMessages()
    .filter((message) => message.direction === 'outbound')
    .map((message) => (message.content as { text?: string }).text ?? '');
}

function countOutbound(emulator: CloudApiEmulator): number {
  return outboundBodies(emulator).length;
}

async function waitUntil(isDone: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!isDone()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
