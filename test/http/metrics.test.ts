import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enqueueJob } from '../../src/db/outbox-repository.js';
import { dialects, missingPostgresMessage, postgresUrl } from '../support/databases.js';
import type { TestDatabase } from '../support/databases.js';
import { openGatewaySession } from '../support/gateway-staff.js';
import { serialiseLikeMeta, statusPayload, textMessagePayload } from '../support/payloads.js';
import { noteSkippedWhen } from '../support/skip-notice.js';
import { startTestGateway } from '../support/test-gateway.js';
import type { TestGateway } from '../support/test-gateway.js';

noteSkippedWhen(postgresUrl === undefined, 'metrics on postgres', missingPostgresMessage);

const CUSTOMER_NUMBER = '4915112345678';
const CUSTOMER_NAME = 'Ada Lovelace';
const CUSTOMER_TEXT = 'my mail is ada.lovelace@example.org';
const STAFF_EMAIL = 'grace.hopper@example.com';

/** The value of one sample (`name{labels} value`), or null when the exposition has none. */
function sampleValue(exposition: string, name: string, labels: Record<string, string> = {}): number | null {
  for (const line of exposition.split('\n')) {
    if (!line.startsWith(name) || line.startsWith('#')) continue;
    const match = /^([a-z_:]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const present = Object.fromEntries([...(match[2] ?? '').matchAll(/([a-z_]+)="((?:[^"\\]|\\.)*)"/g)].map((label) => [label[1], label[2]]));
    if (Object.entries(labels).every(([key, value]) => present[key] === value)) return Number(match[3]);
  }
  return null;
}

for (const dialect of dialects) {
  describe.skipIf(!dialect.isAvailable)(`GET /metrics on ${dialect.name}`, () => {
    let database: TestDatabase;
    let gateway: TestGateway;
    let metricsKey: string;

    beforeAll(async () => {
      database = await dialect.create();
      // No worker: the outbox job this suite queues must stay pending to be counted.
      gateway = await startTestGateway(database, { runWorkers: false });
      metricsKey = (await gateway.rampart.apiKeys.createApiKey('prometheus', ['metrics:read'])).key;
    });
    afterAll(async () => {
      await gateway?.close();
      await database?.drop();
    });

    const scrape = async (headers: Record<string, string> = { authorization: `Bearer ${metricsKey}` }) => fetch(`${gateway.url}/metrics`, { headers });
    const exposition = async () => {
      const response = await scrape();
      expect(response.status).toBe(200);
      return response.text();
    };

    it('answers 401 without credentials, 403 to a key without metrics:read or a session without settings.manage, 200 otherwise', async () => {
      const anonymous = await scrape({});
      expect(anonymous.status).toBe(401);
      expect(((await anonymous.json()) as { code: string }).code).toBe('UNAUTHENTICATED');
      const sendKey = (await gateway.rampart.apiKeys.createApiKey('sender', ['messages:send', 'audit:read'])).key;
      expect((await scrape({ authorization: `Bearer ${sendKey}` })).status).toBe(403);
      const auditor = await openGatewaySession(gateway.rampart, ['auditor']);
      expect((await scrape({ cookie: auditor.cookie })).status).toBe(403);

      const admin = await openGatewaySession(gateway.rampart, ['admin']);
      expect((await scrape({ cookie: admin.cookie })).status).toBe(200);
      const withKey = await scrape();
      expect(withKey.status).toBe(200);
      expect(withKey.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      const text = await withKey.text();
      expect(text).toContain('# TYPE rampart_http_requests_total counter');
      expect(text).toContain('process_cpu_user_seconds_total');
    });

    it('counts webhook events by kind once they are stored, and requests by route pattern and status class', async () => {
      const before = await exposition();
      const message = serialiseLikeMeta(textMessagePayload([{ wamid: `wamid.${crypto.randomUUID()}`, from: CUSTOMER_NUMBER, name: CUSTOMER_NAME, body: CUSTOMER_TEXT }]));
      expect((await gateway.post(message)).status).toBe(200);
      expect((await gateway.post(message)).status).toBe(200);
      const status = serialiseLikeMeta(statusPayload([{ wamid: `wamid.${crypto.randomUUID()}`, status: 'delivered', recipient: CUSTOMER_NUMBER }]));
      expect((await gateway.post(status)).status).toBe(200);
      expect((await gateway.post(message, { signature: 'sha256=00' })).status).toBe(401);

      const after = await exposition();
      const moved = (name: string, labels: Record<string, string> = {}) => (sampleValue(after, name, labels) ?? 0) - (sampleValue(before, name, labels) ?? 0);
      expect(moved('rampart_webhook_events_total', { kind: 'message' })).toBe(2);
      expect(moved('rampart_webhook_events_total', { kind: 'status' })).toBe(1);
      expect(moved('rampart_webhook_events_duplicate_total')).toBe(1);
      expect(moved('rampart_http_requests_total', { method: 'POST', route: '/webhooks/whatsapp', status_class: '2xx' })).toBe(3);
      expect(moved('rampart_http_requests_total', { method: 'POST', route: '/webhooks/whatsapp', status_class: '4xx' })).toBe(1);
      expect(moved('rampart_http_request_duration_seconds_count', { method: 'POST', route: '/webhooks/whatsapp', status_class: '2xx' })).toBe(3);
      expect(sampleValue(after, 'rampart_writer_queue_depth')).toBe(0);
    });

    it('never shows a number, name, email, URL or message text from the traffic in the exposition', async () => {
      const message = serialiseLikeMeta(textMessagePayload([{ wamid: `wamid.${crypto.randomUUID()}`, from: CUSTOMER_NUMBER, name: CUSTOMER_NAME, body: CUSTOMER_TEXT }]));
      await gateway.post(message);
      await fetch(`${gateway.url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: STAFF_EMAIL, password: 'not the password' }) });
      await fetch(`${gateway.url}/api/v1/messages/${CUSTOMER_NUMBER}?to=${CUSTOMER_NUMBER}&name=${encodeURIComponent(CUSTOMER_NAME)}`, { headers: { authorization: `Bearer ${metricsKey}` } });
      await fetch(`${gateway.url}/no/such/path/${CUSTOMER_NUMBER}`);
      await fetch(`${gateway.url}/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=${CUSTOMER_NUMBER}&hub.challenge=${STAFF_EMAIL}`);

      const text = await exposition();
      for (const forbidden of [CUSTOMER_NUMBER, CUSTOMER_NUMBER.slice(-7), 'Ada', 'Lovelace', 'ada.lovelace', 'example.org', STAFF_EMAIL, 'grace', 'hopper', 'hub.', '?', '106540352242922', '15550783881']) {
        expect(text, forbidden).not.toContain(forbidden);
      }
      expect(sampleValue(text, 'rampart_http_requests_total', { method: 'GET', route: '/api/v1/messages/:id' })).toBeGreaterThanOrEqual(1);
      // Every label value is a name of ours: no long digit runs, no @, no spaces.
      const labelValues = [...text.matchAll(/[a-z_]+="((?:[^"\\]|\\.)*)"/g)].map((match) => match[1] ?? '');
      expect(labelValues.filter((value) => /\d{7,}|@|\s/.test(value))).toEqual([]);
    });

    it('reads the outbox and the audit log at scrape time', async () => {
      const { rampart } = gateway;
      await enqueueJob(rampart.database.db, { kind: 'send-message', subjectId: crypto.randomUUID(), runAt: Date.now() - 5_000 });
      await rampart.audit.append({ actor: { type: 'system', id: 'metrics-test' }, action: 'metrics.tested', resource: { type: 'test', id: 'one' }, outcome: 'success' });
      const checkpoint = await rampart.audit.signCheckpoint();
      expect(checkpoint).not.toBeNull();

      const text = await exposition();
      expect(sampleValue(text, 'rampart_outbox_jobs', { kind: 'send-message', state: 'pending' })).toBeGreaterThanOrEqual(1);
      expect(sampleValue(text, 'rampart_outbox_oldest_due_seconds')).toBeGreaterThanOrEqual(4);
      expect(sampleValue(text, 'rampart_audit_tree_size')).toBe((await rampart.audit.readTreeHead()).size);
      expect(sampleValue(text, 'rampart_audit_checkpoint_tree_size')).toBe(checkpoint!.treeSize);
      expect(sampleValue(text, 'rampart_audit_checkpoint_age_seconds')).toBeLessThan(60);
    });

    it('is not in the OpenAPI document', async () => {
      const document = (await (await fetch(`${gateway.url}/api/docs/json`)).json()) as { paths: Record<string, unknown> };
      expect(Object.keys(document.paths)).not.toContain('/metrics');
    });
  });
}

describe('metrics of two gateways in one process', () => {
  it('keeps each gateway\'s counters to itself', async () => {
    const databases = [await dialects[0]!.create(), await dialects[0]!.create()];
    const [first, second] = [await startTestGateway(databases[0]!, { runWorkers: false }), await startTestGateway(databases[1]!, { runWorkers: false })];
    try {
      const keys = [(await first.rampart.apiKeys.createApiKey('p', ['metrics:read'])).key, (await second.rampart.apiKeys.createApiKey('p', ['metrics:read'])).key];
      for (let index = 0; index < 3; index += 1) await fetch(`${first.url}/healthz`);
      const [one, two] = await Promise.all([first, second].map(async (gateway, index) => (await fetch(`${gateway.url}/metrics`, { headers: { authorization: `Bearer ${keys[index]}` } })).text()));
      expect(sampleValue(one!, 'rampart_http_requests_total', { route: '/healthz' })).toBe(3);
      expect(sampleValue(two!, 'rampart_http_requests_total', { route: '/healthz' })).toBeNull();
    } finally {
      await first.close();
      await second.close();
      for (const database of databases) await database.drop();
    }
  });
});
