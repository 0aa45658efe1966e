import { afterEach, describe, expect, it } from 'vitest';
import { signWebhookBody } from '../../src/ingress/signature.js';
import { dialects, missingPostgresMessage, postgresUrl } from '../support/databases.js';
import type { TestDatabase } from '../support/databases.js';
import { spawnGateway } from '../support/gateway-process.js';
import { serialiseLikeMeta, textMessagePayload } from '../support/payloads.js';
import { createTestSecrets, startTestGateway } from '../support/test-gateway.js';
import { noteSkippedWhen } from '../support/skip-notice.js';

// Pins: an event that received 200 survives kill -9 of the gateway, readable and decryptable.

const CONNECTIONS = 16;
const KILL_AFTER_ACKS = 400;

for (const dialect of dialects) {
  describe.skipIf(!dialect.isAvailable)(`kill -9 mid-load on ${dialect.name}`, () => {
    let database: TestDatabase | undefined;
    afterEach(async () => {
      await database?.drop();
    });

    it('keeps every acknowledged event, decryptable after a restart', async () => {
      database = await dialect.create();
      const secrets = createTestSecrets();
      const gateway = await spawnGateway({
        RAMPART_DATA_DIR: database.dataDir,
        ...(database.url ? { RAMPART_DATABASE_URL: database.url } : {}),
        WHATSAPP_APP_SECRET: secrets.appSecret,
        WHATSAPP_VERIFY_TOKEN: secrets.verifyToken,
        RAMPART_MASTER_KEY: secrets.masterKey,
      });

      const acknowledged = new Map<string, string>();
      let sent = 0;
      let isKilled = false;
      const sendOne = async (sequence: number): Promise<void> => {
        const wamid = `wamid.crash-${sequence}`;
        const body = `crash test message ${sequence} — ünïcode ✓`;
        const raw = serialiseLikeMeta(textMessagePayload([{ wamid, from: `49151${String(sequence % 50).padStart(8, '0')}`, body }]));
        const response = await fetch(`${gateway.url}/webhooks/whatsapp`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-hub-signature-256': signWebhookBody(secrets.appSecret, raw) },
          body: raw,
        });
        if (response.status === 200) acknowledged.set(wamid, body);
        if (acknowledged.size >= KILL_AFTER_ACKS && !isKilled) {
          isKilled = true;
          gateway.child.kill('SIGKILL');
        }
      };
      const worker = async (): Promise<void> => {
        while (!isKilled) {
          sent += 1;
          // After the kill, requests fail to connect: those were never acknowledged, so Meta would retry them.
          await sendOne(sent).catch(() => undefined);
        }
      };
      await Promise.all(Array.from({ length: CONNECTIONS }, worker));
      expect(await gateway.exited).toBe('SIGKILL');
      expect(acknowledged.size).toBeGreaterThanOrEqual(KILL_AFTER_ACKS);

      // Restart on the same data and look for every acknowledged event.
      const restarted = await startTestGateway(database, { secrets, listen: false });
      try {
        const missing: string[] = [];
        for (const [wamid, body] of acknowledged) {
          const stored = await restarted.rampart.reader.findMessageByWamid(wamid);
          if (!stored || (stored.content as { text?: { body?: string } }).text?.body !== body) missing.push(wamid);
        }
        expect(missing, `${missing.length} of ${acknowledged.size} acknowledged events lost (sent ${sent})`).toEqual([]);
      } finally {
        await restarted.close();
      }
    }, 120_000);
  });
}

noteSkippedWhen(postgresUrl === undefined, 'kill -9 mid-load on postgres', missingPostgresMessage);
