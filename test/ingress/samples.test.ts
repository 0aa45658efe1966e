import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { normaliseWebhook } from '../../src/ingress/normalise.js';
import type { IngressEvent } from '../../src/ingress/ingress-event.js';
import { parseWebhookPayload } from '../../src/ingress/webhook-schema.js';
import { dialects } from '../support/databases.js';
import type { TestDatabase } from '../support/databases.js';
import { hasShared, listWebhookSamples, missingSharedMessage } from '../support/shared-fixtures.js';
import { startTestGateway } from '../support/test-gateway.js';
import type { TestGateway } from '../support/test-gateway.js';
import { noteSkippedWhen } from '../support/skip-notice.js';

const samples = hasShared ? listWebhookSamples() : [];

for (const dialect of dialects) {
  describe.skipIf(!hasShared || !dialect.isAvailable)(`Meta's sample webhooks on ${dialect.name}`, () => {
    // A fresh store per sample: the samples reuse fake message ids across files, and a reused id
    // is (rightly) a duplicate.
    let database: TestDatabase;
    let gateway: TestGateway;

    beforeEach(async () => {
      database = await dialect.create();
      gateway = await startTestGateway(database);
    });
    afterEach(async () => {
      await gateway?.close();
      await database?.drop();
    });

    it.each(samples.filter((sample) => isEnvelope(sample.raw)).map((sample) => [sample.name, sample] as const))(
      'accepts and stores %s, signed over its raw bytes',
      async (_name, sample) => {
        const response = await gateway.post(sample.raw);
        expect(response.status, await response.clone().text()).toBe(200);
        const events = expectedEvents(sample.raw);
        expect(events.length).toBeGreaterThan(0);
        for (const event of events) expect(await isStored(gateway, event), `${event.kind} of ${sample.name}`).toBe(true);
        // Posting it again stores nothing new: Meta retries, and every app subscribed gets duplicates.
        const rows = await countRows(gateway);
        expect((await gateway.post(sample.raw)).status).toBe(200);
        expect(await countRows(gateway)).toBe(rows);
      },
    );

    it('refuses the sample that is not valid JSON with 400 and stores nothing', async () => {
      const broken = samples.find((sample) => sample.name.endsWith('textMessageStatusRead.json'));
      expect(broken).toBeDefined();
      const response = await gateway.post(broken!.raw);
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ code: 'INVALID_PAYLOAD', message: 'The body is not valid JSON.' });
      expect(await countRows(gateway)).toBe(0);
    });
  });
}

noteSkippedWhen(!hasShared, 'Meta sample webhooks', missingSharedMessage);

function isEnvelope(raw: Buffer): boolean {
  try {
    const parsed = JSON.parse(raw.toString('utf8')) as { object?: unknown; entry?: unknown };
    return parsed.object !== undefined && Array.isArray(parsed.entry);
  } catch {
    return false;
  }
}

function expectedEvents(raw: Buffer): IngressEvent[] {
  const parsed = parseWebhookPayload(JSON.parse(raw.toString('utf8')));
  if (!parsed.ok) throw new Error(parsed.reason);
  return normaliseWebhook(parsed.payload);
}

/** Looks the event up the way an operator would: by its Meta id, decrypting what it finds. */
async function isStored(gateway: TestGateway, event: IngressEvent): Promise<boolean> {
  const { reader, database } = gateway.rampart;
  if (event.kind === 'message') {
    const message = await reader.findMessageByWamid(event.wamid);
    return message !== null && message.wamid === event.wamid && message.type === event.type;
  }
  if (event.kind === 'status') {
    const status = await reader.findStatusByWamid(event.wamid);
    return status !== null;
  }
  const row = await database.db.selectFrom('account_events').select('id').where('field', '=', event.field).executeTakeFirst();
  return row !== undefined;
}

async function countRows(gateway: TestGateway): Promise<number> {
  const { db } = gateway.rampart.database;
  let total = 0;
  for (const table of ['messages', 'status_events', 'account_events'] as const) {
    const row = await db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('count')).executeTakeFirstOrThrow();
    total += Number(row.count);
  }
  return total;
}
