import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Clock } from '../clock.js';
import { Secret } from '../config/secret.js';
import { isAppError } from '../errors.js';
import { createForwarder } from './forwarder.js';
import type { ForwarderOptions } from './forwarder.js';
import type { ForwardingEndpoint } from './forwarding-endpoint.js';
import { createCapturingLogger, startTestReceiver, watchOutgoingConnections } from '../../test/support/forwarding-receiver.js';
import type { Responder, TestReceiver } from '../../test/support/forwarding-receiver.js';
import { generateWebhookSecret } from './webhook-secret.js';
import type { ForwardingEvent } from './webhook-message.js';

const now = Date.parse('2026-11-23T12:00:00Z');
const fixedClock: Clock = { now: () => now };
const secret = generateWebhookSecret();
const event: ForwardingEvent = { id: 'evt_1', type: 'message.received', timestamp: now, payload: { text: 'hello' } };

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

async function receiverAnswering(respond: Responder): Promise<TestReceiver> {
  const receiver = await startTestReceiver(respond);
  cleanups.push(receiver.close);
  return receiver;
}

function endpoint(name: string, port: number, overrides: Partial<ForwardingEndpoint> = {}): ForwardingEndpoint {
  return { name, url: `http://127.0.0.1:${port}/hook`, secrets: [secret], eventTypes: ['*'], isHttpAllowed: true, ...overrides };
}

function forwarderFor(endpoints: ForwardingEndpoint[], options: Partial<ForwarderOptions> = {}) {
  return createForwarder({
    endpoints,
    allowedDestinations: ['127.0.0.1'],
    clock: fixedClock,
    logger: createCapturingLogger().logger,
    ...options,
  });
}

async function deliverOnce(respond: Responder, options: Partial<ForwarderOptions> = {}) {
  const receiver = await receiverAnswering(respond);
  return forwarderFor([endpoint('crm', receiver.port)], options).deliverTo('crm', event);
}

const answer = (status: number, headers: Record<string, string> = {}): Responder => (_request, response) => {
  response.writeHead(status, headers).end('receiver says no');
};

/** A TCP server that accepts and then never speaks; sockets are destroyed at cleanup. */
async function startSilentServer(onData?: (socket: net.Socket) => void): Promise<number> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    if (onData) socket.once('data', () => onData(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return (server.address() as AddressInfo).port;
}

/** A port that was free a moment ago and has nothing listening on it now. */
async function findClosedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('delivery outcomes', () => {
  it('2xx is delivered', async () => {
    expect(await deliverOnce(answer(200))).toEqual({ kind: 'delivered', endpoint: 'crm', status: 200 });
    expect(await deliverOnce(answer(204))).toEqual({ kind: 'delivered', endpoint: 'crm', status: 204 });
  });

  it('500 is retried with no suggested delay of its own', async () => {
    expect(await deliverOnce(answer(500))).toMatchObject({ kind: 'retry', reason: 'server-error', status: 500, retryAfterMs: null });
  });

  it('429 and 503 are retried after the Retry-After the receiver asked for (seconds or a date)', async () => {
    expect(await deliverOnce(answer(429, { 'retry-after': '120' }))).toMatchObject({ kind: 'retry', reason: 'rate-limited', retryAfterMs: 120_000 });
    const date = new Date(now + 600_000).toUTCString();
    expect(await deliverOnce(answer(503, { 'retry-after': date }))).toMatchObject({ kind: 'retry', reason: 'server-error', retryAfterMs: 600_000 });
  });

  it('a Retry-After beyond an hour is held to an hour, and zero to the 5 s minimum', async () => {
    expect(await deliverOnce(answer(429, { 'retry-after': '604800' }))).toMatchObject({ retryAfterMs: 3_600_000 });
    expect(await deliverOnce(answer(429, { 'retry-after': '0' }))).toMatchObject({ retryAfterMs: 5_000 });
  });

  it('408 is retried', async () => {
    expect(await deliverOnce(answer(408))).toMatchObject({ kind: 'retry', reason: 'request-timeout', status: 408 });
  });

  it('other 4xx are retried with backoff, and the outcome says the receiver refused', async () => {
    for (const status of [400, 401, 403, 404, 422]) {
      const outcome = await deliverOnce(answer(status));
      expect(outcome, String(status)).toMatchObject({ kind: 'retry', reason: 'client-error', status });
      expect(outcome.kind === 'retry' && outcome.detail).toBe(`HTTP ${status}: the receiver refused; retrying in case it is fixed`);
    }
  });

  it('410 Gone fails permanently', async () => {
    expect(await deliverOnce(answer(410))).toMatchObject({ kind: 'failed-permanently', reason: 'gone' });
  });

  it('a refused connection is retried as a network error', async () => {
    const outcome = await forwarderFor([endpoint('crm', await findClosedPort())]).deliverTo('crm', event);
    expect(outcome).toMatchObject({ kind: 'retry', reason: 'network-error' });
    expect(outcome.kind === 'retry' && outcome.detail).toContain('ECONNREFUSED');
  });

  it('a response that is not HTTP is retried', async () => {
    const port = await startSilentServer((socket) => socket.end('SSH-2.0-OpenSSH_9.6\r\n\r\n'));
    expect(await forwarderFor([endpoint('crm', port)]).deliverTo('crm', event)).toMatchObject({ kind: 'retry', reason: 'invalid-response' });
  });
});

describe('time and size limits', () => {
  it('a receiver that never answers is retried after the timeout', async () => {
    const port = await startSilentServer();
    const started = performance.now();
    const outcome = await forwarderFor([endpoint('crm', port)], { limits: { timeoutMs: 300 } }).deliverTo('crm', event);
    expect(outcome).toMatchObject({ kind: 'retry', reason: 'timeout' });
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it('a TLS handshake that never completes counts against the connect timeout', async () => {
    const port = await startSilentServer();
    const forwarder = forwarderFor([endpoint('crm', port, { url: `https://127.0.0.1:${port}/hook` })], { limits: { connectTimeoutMs: 200, timeoutMs: 5_000 } });
    const started = performance.now();
    expect(await forwarder.deliverTo('crm', event)).toMatchObject({ kind: 'retry', reason: 'connect-timeout' });
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it('headers dripped one byte at a time cannot hold the attempt past the timeout', async () => {
    const port = await startSilentServer((socket) => {
      const header = 'HTTP/1.1 200 OK\r\nX-Slow: ' + 'a'.repeat(1_000);
      let index = 0;
      const timer = setInterval(() => (socket.destroyed || index >= header.length ? clearInterval(timer) : socket.write(header[index++] ?? '')), 20);
      socket.on('close', () => clearInterval(timer));
    });
    const started = performance.now();
    const outcome = await forwarderFor([endpoint('crm', port)], { limits: { timeoutMs: 400 } }).deliverTo('crm', event);
    expect(outcome).toMatchObject({ kind: 'retry', reason: 'timeout' });
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it('a 200 followed by a body dripping forever ends at the timeout, delivered, with the connection closed', async () => {
    let isClosed = false;
    const receiver = await receiverAnswering((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/plain' });
      const timer = setInterval(() => response.write('.'), 20);
      response.on('close', () => {
        clearInterval(timer);
        isClosed = true;
      });
    });
    const started = performance.now();
    const outcome = await forwarderFor([endpoint('crm', receiver.port)], { limits: { timeoutMs: 500 } }).deliverTo('crm', event);
    expect(outcome).toMatchObject({ kind: 'delivered', status: 200 });
    expect(performance.now() - started).toBeLessThan(2_000);
    await expect.poll(() => isClosed).toBe(true);
  });

  it('an endless response body is read only up to the cap and the connection closed, long before the timeout', async () => {
    let bytesWritten = 0;
    const receiver = await receiverAnswering((_request, response) => {
      response.writeHead(500);
      const chunk = Buffer.alloc(64 * 1024, 0x61);
      const pump = (): void => {
        while (!response.destroyed && response.write(chunk)) bytesWritten += chunk.length;
        if (!response.destroyed) response.once('drain', pump);
      };
      pump();
    });
    const heapBefore = process.memoryUsage().heapUsed;
    const started = performance.now();
    const outcome = await forwarderFor([endpoint('crm', receiver.port)], { limits: { timeoutMs: 10_000 } }).deliverTo('crm', event);
    expect(outcome).toMatchObject({ kind: 'retry', reason: 'server-error', status: 500 });
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(32 * 1024 * 1024);
    await expect.poll(() => receiver.openConnections()).toBe(0);
    expect(bytesWritten).toBeLessThan(64 * 1024 * 1024);
  });

  it('a DNS answer that never comes is retried after the timeout', async () => {
    const forwarder = forwarderFor([endpoint('crm', 1, { url: 'http://slow-dns.test/hook' })], {
      resolveHost: () => new Promise(() => undefined),
      limits: { timeoutMs: 200 },
    });
    expect(await forwarder.deliverTo('crm', event)).toMatchObject({ kind: 'retry', reason: 'timeout' });
  });

  it('a name that does not resolve is retried, naming the resolver error code', async () => {
    const notFound = Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' });
    const forwarder = forwarderFor([endpoint('crm', 1, { url: 'http://missing.test/hook' })], { resolveHost: () => Promise.reject(notFound) });
    expect(await forwarder.deliverTo('crm', event)).toMatchObject({ kind: 'retry', reason: 'dns-error', detail: 'host name did not resolve (ENOTFOUND)' });
    const empty = forwarderFor([endpoint('crm', 1, { url: 'http://empty.test/hook' })], { resolveHost: async () => [] });
    expect(await empty.deliverTo('crm', event)).toMatchObject({ kind: 'retry', reason: 'dns-error' });
  });

  it('a body over the size limit fails permanently without connecting', async () => {
    const receiver = await receiverAnswering(answer(200));
    const forwarder = forwarderFor([endpoint('crm', receiver.port)], { limits: { maxBodyBytes: 1_024 } });
    const watch = watchOutgoingConnections();
    const outcome = await forwarder.deliverTo('crm', { ...event, payload: { text: 'x'.repeat(2_000) } });
    watch.stop();
    expect(outcome).toMatchObject({ kind: 'failed-permanently', reason: 'invalid-event' });
    expect(outcome.kind === 'failed-permanently' && outcome.detail).toMatch(/exceeds the 1024-byte limit/);
    expect(watch.count()).toBe(0);
    expect(await forwarder.deliverTo('crm', { ...event, payload: { text: 'x'.repeat(900) } })).toMatchObject({ kind: 'delivered' });
  });
});

describe('events', () => {
  it('an event that cannot be sent fails permanently, naming the field and not its content', async () => {
    const receiver = await receiverAnswering(answer(200));
    const forwarder = forwarderFor([endpoint('crm', receiver.port)]);
    const cyclic: Record<string, unknown> = { text: 'secret words' };
    cyclic.self = cyclic;
    const invalidEvents: ForwardingEvent[] = [
      { ...event, id: 'has space' },
      { ...event, id: '' },
      { ...event, type: 'message received' },
      { ...event, timestamp: Number.NaN },
      { ...event, payload: undefined },
      { ...event, payload: { amount: 10n } },
      { ...event, payload: cyclic },
    ];
    for (const invalid of invalidEvents) {
      const outcome = await forwarder.deliverTo('crm', invalid);
      expect(outcome).toMatchObject({ kind: 'failed-permanently', reason: 'invalid-event' });
      expect(JSON.stringify(outcome)).not.toContain('secret words');
    }
    expect(receiver.requests).toHaveLength(0);
  });

  it('go only to endpoints subscribed to their type; * takes all', async () => {
    const receiver = await receiverAnswering(answer(200));
    const forwarder = forwarderFor([
      endpoint('statuses', receiver.port, { eventTypes: ['message.status'] }),
      endpoint('everything', receiver.port, { eventTypes: ['*'] }),
      endpoint('messages', receiver.port, { eventTypes: ['message.received', 'message.deleted'] }),
    ]);
    expect(forwarder.listEndpointsFor('message.received')).toEqual(['everything', 'messages']);
    expect(forwarder.listEndpointsFor('message.status')).toEqual(['statuses', 'everything']);
    expect(forwarder.listEndpointsFor('account.update')).toEqual(['everything']);
    const outcomes = await forwarder.deliver({ ...event, type: 'message.status' });
    expect(outcomes.map((outcome) => [outcome.endpoint, outcome.kind])).toEqual([['statuses', 'delivered'], ['everything', 'delivered']]);
    expect(receiver.requests).toHaveLength(2);
  });

  it('give one outcome per endpoint when endpoints answer differently', async () => {
    const healthy = await receiverAnswering(answer(200));
    const broken = await receiverAnswering(answer(502));
    const outcomes = await forwarderFor([endpoint('healthy', healthy.port), endpoint('broken', broken.port)]).deliver(event);
    expect(outcomes).toMatchObject([{ endpoint: 'healthy', kind: 'delivered' }, { endpoint: 'broken', kind: 'retry', status: 502 }]);
  });

  it('to an endpoint no longer configured fail permanently (the queued job ends)', async () => {
    expect(await forwarderFor([]).deliverTo('removed', event)).toMatchObject({ kind: 'failed-permanently', reason: 'unknown-endpoint' });
  });
});

describe('createForwarder', () => {
  it('refuses invalid configuration listing every problem, never a secret value', () => {
    const badSecret = 'whsec_c2hvcnQ=';
    try {
      createForwarder({
        endpoints: [
          endpoint('crm', 1),
          endpoint('crm', 2),
          endpoint('Bad Name', 3),
          endpoint('plain', 4, { isHttpAllowed: false }),
          endpoint('badsecret', 5, { secrets: [new Secret(badSecret)] }),
          endpoint('nosecret', 6, { secrets: [] }),
          endpoint('notypes', 7, { eventTypes: [] }),
        ],
        allowedDestinations: ['127.0.0.1', '10/8', '*.example.com'],
        clock: fixedClock,
        logger: createCapturingLogger().logger,
      });
      expect.unreachable('accepted an invalid configuration');
    } catch (error) {
      expect(isAppError(error) && error.code).toBe('CONFIG_INVALID');
      const message = (error as Error).message;
      for (const expected of [
        'RAMPART_FORWARD_ALLOWED_HOSTS: not a host name, IP address or CIDR range: 10/8, *.example.com',
        'endpoint crm: the name is used twice',
        'endpoint Bad Name name:',
        'endpoint plain url: must be https://',
        'endpoint badsecret secrets[0]: decodes to 5 bytes',
        'endpoint nosecret secrets: 1–10 active secrets are required',
        'endpoint notypes eventTypes:',
      ]) {
        expect(message).toContain(expected);
      }
      expect(message).not.toContain('c2hvcnQ');
    }
  });
});
