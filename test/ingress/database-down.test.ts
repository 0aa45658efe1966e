import { afterEach, describe, expect, it } from 'vitest';
import { createPostgresDatabase, missingPostgresMessage, postgresUrl } from '../support/databases.js';
import type { TestDatabase } from '../support/databases.js';
import { newTextMessage } from '../support/payloads.js';
import { noteSkippedWhen } from '../support/skip-notice.js';
import { startTcpProxy } from '../support/tcp-proxy.js';
import type { TcpProxy } from '../support/tcp-proxy.js';
import { startTestGateway } from '../support/test-gateway.js';
import type { TestGateway } from '../support/test-gateway.js';

// Pins: while the database is unreachable nothing is acknowledged (503, Meta retries) and
// /readyz says so; when it returns, the retried webhook is stored and nothing was half-written.

async function waitFor(check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe.skipIf(postgresUrl === undefined)('PostgreSQL unreachable', () => {
  let database: TestDatabase | undefined;
  let proxy: TcpProxy | undefined;
  let gateway: TestGateway | undefined;
  afterEach(async () => {
    await proxy?.restore().catch(() => undefined);
    await gateway?.close();
    await proxy?.close();
    await database?.drop();
  });

  it('answers 503 and stores nothing while the database is away, then stores the retried webhook', async () => {
    database = await createPostgresDatabase(postgresUrl!);
    const target = new URL(database.url!);
    proxy = await startTcpProxy(target.hostname, Number(target.port || 5432));
    const viaProxy = new URL(database.url!);
    viaProxy.hostname = '127.0.0.1';
    viaProxy.port = String(proxy.port);
    gateway = await startTestGateway({ ...database, url: viaProxy.toString() });
    const ready = async () => (await fetch(`${gateway!.url}/readyz`)).status;

    const { key: apiKey } = await gateway.rampart.apiKeys.createApiKey('status reader', ['messages:read']);
    const before = newTextMessage();
    expect((await gateway.post(before.body)).status).toBe(200);

    await proxy.cut();
    const during = newTextMessage();
    const refused = await gateway.post(during.body);
    expect(refused.status).toBe(503);
    expect(await refused.json()).toMatchObject({ code: 'STORE_UNAVAILABLE' });
    expect(refused.headers.get('retry-after')).not.toBeNull();
    await waitFor(async () => (await ready()) === 503);
    // The API says the same: an outage (retry), not a bug (500).
    const api = await fetch(`${gateway.url}/api/v1/messages/00000000-0000-4000-8000-000000000000`, { headers: { authorization: `Bearer ${apiKey}` } });
    expect([api.status, ((await api.json()) as { code: string }).code]).toEqual([503, 'STORE_UNAVAILABLE']);

    await proxy.restore();
    await waitFor(async () => (await ready()) === 200);
    // Meta retries what was not acknowledged.
    expect((await gateway.post(during.body)).status).toBe(200);
    expect(await gateway.rampart.reader.findMessageByWamid(before.wamid)).not.toBeNull();
    expect(await gateway.rampart.reader.findMessageByWamid(during.wamid)).not.toBeNull();
    const count = await gateway.rampart.database.db.selectFrom('messages').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(2);
  }, 60_000);
});

noteSkippedWhen(postgresUrl === undefined, 'PostgreSQL unreachable', missingPostgresMessage);
