import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects, missingPostgresMessage, postgresUrl } from '../support/databases.js';
import type { TestDatabase } from '../support/databases.js';
import { serialiseLikeMeta, statusPayload, textMessagePayload } from '../support/payloads.js';
import { startTestGateway } from '../support/test-gateway.js';
import type { TestGateway } from '../support/test-gateway.js';
import { noteSkippedWhen } from '../support/skip-notice.js';

for (const dialect of dialects) {
  describe.skipIf(!dialect.isAvailable)(`duplicates and ordering on ${dialect.name}`, () => {
    let database: TestDatabase;
    let gateway: TestGateway;

    beforeAll(async () => {
      database = await dialect.create();
      gateway = await startTestGateway(database);
    });
    afterAll(async () => {
      await gateway?.close();
      await database?.drop();
    });

    async function countMessages(): Promise<number> {
      const row = await gateway.rampart.database.db.selectFrom('messages').select((eb) => eb.fn.countAll<number>().as('count')).executeTakeFirstOrThrow();
      return Number(row.count);
    }

    it('stores a payload posted 3 times concurrently once, and answers 200 to every copy', async () => {
      const before = await countMessages();
      const body = serialiseLikeMeta(textMessagePayload([{ wamid: `wamid.dup-${dialect.name}`, from: '4915112345678', body: 'once' }]));
      const responses = await Promise.all([gateway.post(body), gateway.post(body), gateway.post(body)]);
      expect(responses.map((response) => response.status)).toEqual([200, 200, 200]);
      expect(await countMessages()).toBe(before + 1);
    });

    it('stores 3 concurrent copies of a message from a new contact under one contact', async () => {
      const from = '4915199990000';
      const body = serialiseLikeMeta(textMessagePayload([{ wamid: `wamid.newcontact-${dialect.name}`, from, body: 'hi' }]));
      await Promise.all([gateway.post(body), gateway.post(body), gateway.post(body)]);
      const contact = await gateway.rampart.reader.findContactByPhone(`+${from}`);
      expect(contact?.waId).toBe(from);
      const rows = await gateway.rampart.database.db.selectFrom('contacts').select('id').execute();
      expect(new Set(rows.map((row) => row.id)).size).toBe(rows.length);
    });

    it('ends at the highest status whatever order the statuses arrive in', async () => {
      const wamid = `wamid.order-${dialect.name}`;
      const recipient = '4915112340000';
      const post = (status: string, timestamp: number) => gateway.post(serialiseLikeMeta(statusPayload([{ wamid, status, recipient, timestamp }])));
      expect((await post('read', 1_700_000_030)).status).toBe(200);
      expect((await post('delivered', 1_700_000_020)).status).toBe(200);
      expect((await post('sent', 1_700_000_010)).status).toBe(200);
      expect((await post('delivered', 1_700_000_020)).status).toBe(200);
      const status = await gateway.rampart.reader.findStatusByWamid(wamid);
      expect(status).toMatchObject({ status: 'read', statusAt: 1_700_000_030_000 });
      const history = await gateway.rampart.database.db.selectFrom('status_events').select('status').where('wamid_index', '=', indexOf(wamid)).execute();
      expect(history.map((row) => row.status).sort()).toEqual(['delivered', 'read', 'sent']);
    });

    it('keeps failed as terminal: a later read does not replace it', async () => {
      const wamid = `wamid.failed-${dialect.name}`;
      const recipient = '4915112340001';
      for (const status of ['sent', 'failed', 'read']) {
        expect((await gateway.post(serialiseLikeMeta(statusPayload([{ wamid, status, recipient }])))).status).toBe(200);
      }
      expect((await gateway.rampart.reader.findStatusByWamid(wamid))?.status).toBe('failed');
    });

    it('applies concurrent out-of-order statuses monotonically', async () => {
      const wamid = `wamid.race-${dialect.name}`;
      const recipient = '4915112340002';
      const statuses = ['read', 'sent', 'delivered', 'sent', 'delivered', 'read'];
      const responses = await Promise.all(statuses.map((status) => gateway.post(serialiseLikeMeta(statusPayload([{ wamid, status, recipient }])))));
      expect(responses.every((response) => response.status === 200)).toBe(true);
      expect((await gateway.rampart.reader.findStatusByWamid(wamid))?.status).toBe('read');
    });

    function indexOf(wamid: string): Buffer {
      return gateway.rampart.index.messageId(wamid);
    }
  });
}

noteSkippedWhen(postgresUrl === undefined, 'duplicates and ordering on postgres', missingPostgresMessage);
