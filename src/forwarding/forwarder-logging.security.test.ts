/**
 * Pins: what forwarding writes to the log and returns as an outcome (stored by the outbox as the
 * job's last error) never contains an endpoint secret, the URL's query string (receivers put
 * tokens there) or anything from the event payload, whatever the outcome.
 * Leaks guarded: tokens and customer messages in logs and in the outbox table.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../clock.js';
import { createForwarder } from './forwarder.js';
import { createCapturingLogger, startTestReceiver } from '../../test/support/forwarding-receiver.js';
import type { TestReceiver } from '../../test/support/forwarding-receiver.js';
import { generateWebhookSecret } from './webhook-secret.js';

const secret = generateWebhookSecret();
const queryToken = 'qtok-9f8e7d6c5b4a';
const customerText = 'my card number is 4111 1111 1111 1111';
const customerPhone = '+447700900123';

let receivers: Record<'ok' | 'failing' | 'gone' | 'redirecting', TestReceiver>;
beforeAll(async () => {
  receivers = {
    ok: await startTestReceiver(),
    failing: await startTestReceiver((_request, response) => response.writeHead(503, { 'retry-after': '30' }).end(customerText)),
    gone: await startTestReceiver((_request, response) => response.writeHead(410).end()),
    redirecting: await startTestReceiver((_request, response) => response.writeHead(302, { location: `http://127.0.0.1/?token=${queryToken}` }).end()),
  };
});
afterAll(() => Promise.all(Object.values(receivers).map((receiver) => receiver.close())));

describe('forwarding logs and outcomes', () => {
  it('never contain the secret, the query string or the payload, for any outcome', async () => {
    const { logger, output } = createCapturingLogger();
    const endpoint = (name: string, host: string, port: number) => ({
      name,
      url: `http://${host}:${port}/hook?token=${queryToken}&tenant=acme`,
      secrets: [secret],
      eventTypes: ['*'],
      isHttpAllowed: true,
    });
    const forwarder = createForwarder({
      endpoints: [
        endpoint('ok', 'ok.test', receivers.ok.port),
        endpoint('failing', 'failing.test', receivers.failing.port),
        endpoint('gone', 'gone.test', receivers.gone.port),
        endpoint('redirecting', 'redirecting.test', receivers.redirecting.port),
        endpoint('internal', 'internal.test', receivers.ok.port),
        endpoint('unresolvable', 'unresolvable.test', receivers.ok.port),
      ],
      allowedDestinations: ['127.0.0.1'],
      resolveHost: async (hostname) => {
        if (hostname === 'internal.test') return ['10.9.8.7'];
        if (hostname === 'unresolvable.test') throw Object.assign(new Error(`queryA ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
        return ['127.0.0.1'];
      },
      clock: systemClock,
      logger,
    });
    const outcomes = await forwarder.deliver({
      id: 'evt_log',
      type: 'message.received',
      timestamp: Date.now(),
      payload: { from: customerPhone, text: { body: customerText }, name: 'Ada' },
    });
    expect(outcomes.map((outcome) => outcome.kind)).toEqual(['delivered', 'retry', 'failed-permanently', 'retry', 'failed-permanently', 'retry']);
    const logged = output();
    expect(logged.split('\n').filter(Boolean)).toHaveLength(6);
    const stored = JSON.stringify(outcomes);
    for (const text of [logged, stored]) {
      expect(text).not.toContain(queryToken);
      expect(text).not.toContain('tenant=acme');
      expect(text).not.toContain(secret.reveal().slice(6));
      expect(text).not.toContain('4111');
      expect(text).not.toContain(customerPhone);
      expect(text).not.toContain('Ada');
      expect(text).not.toMatch(/v1,[A-Za-z0-9+/]{20}/);
    }
    expect(logged).toContain('"endpoint":"internal"');
    expect(logged).toContain('10.9.8.7 (private)');
  });
});
