import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSqliteDatabase } from '../support/databases.js';
import type { TestDatabase } from '../support/databases.js';
import { serialiseLikeMeta, statusPayload } from '../support/payloads.js';
import { startTestGateway } from '../support/test-gateway.js';
import type { TestGateway } from '../support/test-gateway.js';

// Pins the findings of the ingress security review: each test names the leak or fault it prevents.

let database: TestDatabase;
let gateway: TestGateway;

beforeAll(async () => {
  database = await createSqliteDatabase();
  gateway = await startTestGateway(database);
});
afterAll(async () => {
  await gateway.close();
  await database.drop();
});

const postStatus = (wamid: string, status: string, recipient: string | null) => {
  const payload = statusPayload([{ wamid, status, recipient: recipient ?? '' }]) as { entry: { changes: { value: { statuses: Record<string, unknown>[] } }[] }[] };
  if (recipient === null) delete payload.entry[0]!.changes[0]!.value.statuses[0]!.recipient_id;
  return gateway.post(serialiseLikeMeta(payload));
};

describe('ingress hardening', () => {
  it('keeps a status readable when a later status names another recipient or none', async () => {
    expect((await postStatus('wamid.recipient-change', 'sent', '4915112345678')).status).toBe(200);
    expect((await postStatus('wamid.recipient-change', 'read', null)).status).toBe(200);
    expect(await gateway.rampart.reader.findStatusByWamid('wamid.recipient-change')).toMatchObject({ status: 'read' });
    expect((await postStatus('wamid.no-recipient-first', 'sent', null)).status).toBe(200);
    expect((await postStatus('wamid.no-recipient-first', 'delivered', '4915112345678')).status).toBe(200);
    expect(await gateway.rampart.reader.findStatusByWamid('wamid.no-recipient-first')).toMatchObject({ status: 'delivered' });
  });

  it('stores statuses named like Object.prototype members instead of failing the webhook forever', async () => {
    for (const status of ['constructor', '__proto__', 'toString']) {
      expect((await postStatus(`wamid.proto-${status}`, status, '4915112345678')).status).toBe(200);
    }
  });

  it('parses no body outside the webhook: a JSON POST elsewhere is 415 or 404, never 500', async () => {
    for (const path of ['/healthz', '/anything']) {
      const response = await fetch(`${gateway.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '[[[[{bad' });
      expect([404, 415]).toContain(response.status);
    }
  });

  it('answers a malformed URL without echoing it (the query may hold the verify token)', async () => {
    const url = `${gateway.url}/webhooks%2/whatsapp?hub.verify_token=${gateway.secrets.verifyToken}`;
    const response = await fetch(url);
    expect(response.status).toBe(400);
    const text = await response.text();
    expect(text).not.toContain(gateway.secrets.verifyToken);
    expect(JSON.parse(text)).toMatchObject({ code: 'INVALID_REQUEST' });
  });
});
