import { afterEach, describe, expect, it } from 'vitest';
import { startSandboxPair } from '../support/sandbox-pair.js';
import type { SandboxPair } from '../support/sandbox-pair.js';

describe('statuses from a chaotic Cloud API', () => {
  let pair: SandboxPair;
  afterEach(async () => pair?.close());

  it('ends every message at read, with each status stored once, however duplicated and reordered the webhooks', async () => {
    pair = await startSandboxPair({ emulator: { chaos: { duplicateProbability: 0.7, reorderProbability: 0.7, seed: 20261123 }, statusDelaysMs: { sent: 5, delivered: 10, read: 15 } } });
    const customers = Array.from({ length: 12 }, (_, index) => `+49152${String(index).padStart(8, '0')}`);
    await Promise.all(customers.map((customer) => pair.openWindow(customer)));
    const ids = await Promise.all(
      customers.map(async (to) => ((await (await pair.send({ to, type: 'text', text: { body: 'Ihre Bestellung' } })).json()) as { id: string }).id),
    );
    await pair.waitForOutbox();
    await pair.emulator.waitForIdle(15_000);
    const stats = pair.emulator.deliveryStats();
    // The chaos really happened: more status webhooks than the three per message Meta usually sends.
    expect(stats.delivered).toBeGreaterThan(customers.length + ids.length * 3);

    const db = pair.gateway.rampart.database.db;
    for (const id of ids) {
      const response = await fetch(`${pair.gateway.url}/api/v1/messages/${id}`, { headers: { authorization: `Bearer ${pair.apiKey}` } });
      expect(((await response.json()) as { status: string }).status).toBe('read');
      const { wamid_index: wamidIndex } = await db.selectFrom('outbound_messages').select('wamid_index').where('id', '=', id).executeTakeFirstOrThrow();
      const history = await db.selectFrom('status_events').select('status').where('wamid_index', '=', wamidIndex!).orderBy('status').execute();
      expect(history.map((row) => row.status)).toEqual(['delivered', 'read', 'sent']);
    }
  });
});
