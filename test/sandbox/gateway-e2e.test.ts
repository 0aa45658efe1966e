import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCloudApiEmulator } from '../../src/sandbox/cloud-api-emulator.js';
import type { CloudApiEmulator } from '../../src/sandbox/cloud-api-emulator.js';
import { createSqliteDatabase } from '../support/databases.js';
import type { TestDatabase } from '../support/databases.js';
import { startTestGateway } from '../support/test-gateway.js';
import type { TestGateway } from '../support/test-gateway.js';
import { fastTiming } from './support/emulator-fixture.js';

// The emulator's webhooks against the real gateway: same app secret, Meta's bytes, stored.

let database: TestDatabase;
let gateway: TestGateway;
let emulator: CloudApiEmulator;

beforeAll(async () => {
  database = await createSqliteDatabase();
  gateway = await startTestGateway(database);
  emulator = await startCloudApiEmulator({ ...fastTiming, appSecret: gateway.secrets.appSecret, webhookUrl: `${gateway.url}/webhooks/whatsapp` });
});
afterAll(async () => {
  await emulator?.close();
  await gateway?.close();
  await database?.drop();
});

describe('emulator → gateway', () => {
  it('delivers a customer message the gateway verifies, acknowledges and stores', async () => {
    const text = 'Grüße aus Köln 😀 https://example.com/a/b';
    const { wamid, delivery } = await emulator.say({ from: '+4915112345678', name: 'Zoë', text });
    expect(delivery).toEqual({ status: 200, isAcknowledged: true });
    const stored = await gateway.rampart.reader.findMessageByWamid(wamid);
    expect(stored).toMatchObject({ wamid, type: 'text', direction: 'inbound' });
    expect(JSON.stringify(stored?.content)).toContain(JSON.stringify(text).slice(1, -1));
  });

  it('is refused by a gateway with another app secret, and keeps retrying', async () => {
    const other = await startCloudApiEmulator({ ...fastTiming, appSecret: 'not-the-gateway-secret', webhookUrl: `${gateway.url}/webhooks/whatsapp` });
    try {
      const { wamid, delivery } = await other.say({ from: '4915112345678', text: 'forged?' });
      expect(delivery).toEqual({ status: 401, isAcknowledged: false });
      expect(await gateway.rampart.reader.findMessageByWamid(wamid)).toBeNull();
      expect(other.deliveryStats().pending).toBe(1);
    } finally {
      await other.close();
    }
  });

  it('delivers a template status update the gateway accepts', async () => {
    expect(emulator.setTemplateStatus('hello_world', 'en_US', 'PAUSED')).toBe(true);
    await emulator.waitForIdle();
    expect(emulator.deliveryStats()).toMatchObject({ pending: 0, failedAttempts: 0 });
  });
});
