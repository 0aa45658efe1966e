import { afterEach, describe, expect, it } from 'vitest';
import { createSqliteDatabase } from '../support/databases.js';
import type { TestDatabase } from '../support/databases.js';
import { serialiseLikeMeta, textMessagePayload } from '../support/payloads.js';
import { startTestGateway } from '../support/test-gateway.js';

describe('graceful shutdown', () => {
  let database: TestDatabase | undefined;
  afterEach(async () => {
    await database?.drop();
  });

  it('finishes in-flight requests before closing the store, and every 200 is stored', async () => {
    database = await createSqliteDatabase();
    const gateway = await startTestGateway(database);
    const send = (wamid: string) =>
      gateway
        .post(serialiseLikeMeta(textMessagePayload([{ wamid, from: '4915112345678', body: wamid }])))
        .then((response) => response.status, () => 0);
    // Warm a pool of keep-alive connections, so the second round is on the wire at once.
    const warmUp = await Promise.all(Array.from({ length: 30 }, (_unused, index) => send(`wamid.warm-${index}`)));
    expect(warmUp.every((status) => status === 200)).toBe(true);

    const wamids = Array.from({ length: 30 }, (_unused, index) => `wamid.shutdown-${index}`);
    let received = 0;
    const isHalfReceived = new Promise<void>((resolve) =>
      gateway.rampart.app.server.on('request', () => {
        received += 1;
        if (received === wamids.length / 2) resolve();
      }),
    );
    const requests = wamids.map(send);
    // Close while half of them are inside the gateway.
    await isHalfReceived;
    await gateway.close();
    const statuses = await Promise.all(requests);
    // 200 = stored; 503 or a refused connection = not acknowledged, so Meta retries it.
    expect(statuses.every((status) => status === 200 || status === 503 || status === 0)).toBe(true);

    const reopened = await startTestGateway(database, { secrets: gateway.secrets, listen: false });
    try {
      for (const [index, wamid] of wamids.entries()) {
        if (statuses[index] === 200) expect(await reopened.rampart.reader.findMessageByWamid(wamid), wamid).not.toBeNull();
      }
      expect(statuses.filter((status) => status === 200).length).toBeGreaterThan(0);
    } finally {
      await reopened.close();
    }
  });
});
