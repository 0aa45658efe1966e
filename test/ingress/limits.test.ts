import { afterEach, describe, expect, it } from 'vitest';
import { createApp } from '../../src/http/create-app.js';
import { signWebhookBody } from '../../src/ingress/signature.js';
import { createLogger } from '../../src/logger.js';
import { createSqliteDatabase } from '../support/databases.js';
import { newTextMessage } from '../support/payloads.js';
import { buildTestConfig, createGatewayPool, createTestSecrets } from '../support/test-gateway.js';
import type { TestGateway } from '../support/test-gateway.js';

const BODY_LIMIT = 3 * 1024 * 1024;
const cleanups: (() => Promise<void>)[] = [];
const gateways = createGatewayPool();
const startGateway = gateways.start;

afterEach(async () => {
  await gateways.closeAll();
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

const newMessage = () => newTextMessage();

/** A JSON object of exactly `size` bytes: `{"padding":"aaa…"}`. */
function paddedJson(size: number): string {
  return `{"padding":"${'a'.repeat(size - '{"padding":""}'.length)}"}`;
}

/** A valid envelope whose top-level object also holds `arrays` nested arrays: nesting depth 1 + arrays. */
function envelopeNested(arrays: number): { wamid: string; body: string } {
  const message = newMessage();
  return { wamid: message.wamid, body: `${message.body.slice(0, -1)},"nesting":${'['.repeat(arrays)}${']'.repeat(arrays)}}` };
}

function handshakeUrl(gateway: TestGateway, params: Record<string, string>): string {
  return `${gateway.url}/webhooks/whatsapp?${new URLSearchParams(params).toString()}`;
}

describe('body and nesting limits', () => {
  it('refuses a body over 3 MB with 413 before checking the signature', async () => {
    const gateway = await startGateway();
    const body = paddedJson(BODY_LIMIT + 1);
    const signed = await gateway.post(body);
    expect(signed.status).toBe(413);
    expect(await signed.json()).toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
    const unsigned = await gateway.post(body, { signature: null });
    expect(unsigned.status).toBe(413);
  });

  it('reads a body of exactly 3 MB and judges its content (400, not 413)', async () => {
    const gateway = await startGateway();
    const body = paddedJson(BODY_LIMIT);
    expect(Buffer.byteLength(body)).toBe(BODY_LIMIT);
    const response = await gateway.post(body);
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ code: 'INVALID_PAYLOAD' });
  });

  it('refuses a signed body nested deeper than 64 levels with 400 and stores nothing', async () => {
    const gateway = await startGateway();
    const message = envelopeNested(64);
    const response = await gateway.post(message.body);
    expect(response.status).toBe(400);
    const body = (await response.json()) as { code: string; message: string };
    expect(body.code).toBe('INVALID_PAYLOAD');
    expect(body.message).toMatch(/nests deeper than 64/);
    expect(await gateway.rampart.reader.findMessageByWamid(message.wamid)).toBeNull();
  });

  it('accepts a signed envelope nested exactly 64 levels deep', async () => {
    const gateway = await startGateway();
    const message = envelopeNested(63);
    const response = await gateway.post(message.body);
    expect(response.status, await response.clone().text()).toBe(200);
    expect(await gateway.rampart.reader.findMessageByWamid(message.wamid)).not.toBeNull();
  });
});

describe('IP allowlist', () => {
  it('refuses a caller outside the allowlist with 403 before the signature check, and stores nothing', async () => {
    const gateway = await startGateway({ RAMPART_IP_ALLOWLIST: '10.0.0.0/8' });
    const message = newMessage();
    const response = await gateway.post(message.body);
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({ code: 'FORBIDDEN_ADDRESS' });
    expect((await gateway.post(message.body, { signature: null })).status).toBe(403);
    expect(await gateway.rampart.reader.findMessageByWamid(message.wamid)).toBeNull();
  });

  it('accepts a caller inside the allowlist', async () => {
    const gateway = await startGateway({ RAMPART_IP_ALLOWLIST: '127.0.0.0/8,::1' });
    const message = newMessage();
    expect((await gateway.post(message.body)).status).toBe(200);
    expect(await gateway.rampart.reader.findMessageByWamid(message.wamid)).not.toBeNull();
  });

  it('behind a trusted proxy judges the forwarded client address, not the proxy', async () => {
    const gateway = await startGateway({ RAMPART_TRUSTED_PROXIES: '127.0.0.1', RAMPART_IP_ALLOWLIST: '203.0.113.0/24' });
    const allowed = await gateway.post(newMessage().body, { headers: { 'x-forwarded-for': '203.0.113.9' } });
    expect(allowed.status).toBe(200);
    const refused = await gateway.post(newMessage().body, { headers: { 'x-forwarded-for': '198.51.100.1' } });
    expect(refused.status).toBe(403);
    // The client may forge the leftmost entry; only the address the trusted proxy appended counts.
    const forged = await gateway.post(newMessage().body, { headers: { 'x-forwarded-for': '203.0.113.9, 198.51.100.1' } });
    expect(forged.status).toBe(403);
  });

  it('ignores a forged X-Forwarded-For when no proxy is trusted', async () => {
    const gateway = await startGateway({ RAMPART_IP_ALLOWLIST: '203.0.113.0/24' });
    const response = await gateway.post(newMessage().body, { headers: { 'x-forwarded-for': '203.0.113.9' } });
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({ code: 'FORBIDDEN_ADDRESS' });
  });
});

describe('rate limit and overload', () => {
  it('answers the 6th request in a minute with 429 RATE_LIMITED and retry-after, and never limits /healthz', async () => {
    const gateway = await startGateway({ RAMPART_RATE_LIMIT_PER_MINUTE: '5' });
    for (let count = 0; count < 5; count += 1) expect((await gateway.post(newMessage().body)).status).toBe(200);
    const limited = await gateway.post(newMessage().body);
    expect(limited.status).toBe(429);
    expect(await limited.json()).toMatchObject({ code: 'RATE_LIMITED' });
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    for (let count = 0; count < 10; count += 1) expect((await fetch(`${gateway.url}/healthz`)).status).toBe(200);
  });

  it('when the writer queue is full answers 503 OVERLOADED with retry-after, and acknowledges only what it stored', async () => {
    const gateway = await startGateway({ RAMPART_WRITER_MAX_QUEUE: '1' });
    const outcomes: { wamid: string; status: number; code: unknown; retryAfter: string | null }[] = [];
    // Concurrency decides how many are refused; repeat the burst until one is.
    for (let round = 0; round < 10 && !outcomes.some((outcome) => outcome.status === 503); round += 1) {
      const burst = Array.from({ length: 50 }, () => newMessage());
      const settled = await Promise.all(
        burst.map(async ({ wamid, body }) => {
          const response = await gateway.post(body);
          const json = (await response.json()) as { code?: unknown };
          return { wamid, status: response.status, code: json.code, retryAfter: response.headers.get('retry-after') };
        }),
      );
      outcomes.push(...settled);
    }
    expect(outcomes.every((outcome) => outcome.status === 200 || outcome.status === 503)).toBe(true);
    const refused = outcomes.filter((outcome) => outcome.status === 503);
    expect(refused.length).toBeGreaterThan(0);
    for (const outcome of refused) {
      expect(outcome.code).toBe('OVERLOADED');
      expect(outcome.retryAfter).toMatch(/^\d+$/);
    }
    for (const outcome of outcomes) {
      const stored = await gateway.rampart.reader.findMessageByWamid(outcome.wamid);
      // 200 means durably stored; OVERLOADED is answered before queueing, so nothing of it is kept.
      expect(stored === null ? 'missing' : 'stored', outcome.wamid).toBe(outcome.status === 200 ? 'stored' : 'missing');
    }
  });
});

describe('webhook handshake', () => {
  it('echoes the challenge verbatim as text/plain for the right verify token', async () => {
    const gateway = await startGateway();
    const challenge = '<b>1158201444</b>&';
    const response = await fetch(
      handshakeUrl(gateway, { 'hub.mode': 'subscribe', 'hub.verify_token': gateway.secrets.verifyToken, 'hub.challenge': challenge }),
    );
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain\b/);
    expect(await response.text()).toBe(challenge);
  });

  it('refuses a wrong verify token with 403 and missing parameters with 400', async () => {
    const gateway = await startGateway();
    const wrong = await fetch(handshakeUrl(gateway, { 'hub.mode': 'subscribe', 'hub.verify_token': 'not-it', 'hub.challenge': '42' }));
    expect(wrong.status).toBe(403);
    expect(await wrong.json()).toMatchObject({ code: 'VERIFY_TOKEN_MISMATCH' });
    const missing = await fetch(handshakeUrl(gateway, { 'hub.mode': 'subscribe', 'hub.challenge': '42' }));
    expect(missing.status).toBe(400);
    expect(await missing.json()).toMatchObject({ code: 'INVALID_REQUEST' });
    expect((await fetch(handshakeUrl(gateway, {}))).status).toBe(400);
  });

  it('never writes the verify token to the log', async () => {
    const gateway = await startGateway();
    const token = gateway.secrets.verifyToken;
    await fetch(handshakeUrl(gateway, { 'hub.mode': 'subscribe', 'hub.verify_token': token, 'hub.challenge': '1' }));
    await fetch(handshakeUrl(gateway, { 'hub.mode': 'subscribe', 'hub.verify_token': `${token}x`, 'hub.challenge': '1' }));
    expect(gateway.logs()).toContain('webhook.handshake_accepted');
    expect(gateway.logs()).not.toContain(token);
  });
});

describe('responses', () => {
  it('carry nosniff, a deny-all content security policy and a request id, on success and on error', async () => {
    const gateway = await startGateway();
    const responses = [
      await fetch(`${gateway.url}/healthz`),
      await fetch(`${gateway.url}/no-such-route`),
      await gateway.post(newMessage().body, { signature: null }),
    ];
    for (const response of responses) {
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(response.headers.get('content-security-policy')).toContain("default-src 'none'");
      expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
      // HSTS only makes sense over TLS; this gateway speaks plain HTTP.
      expect(response.headers.get('strict-transport-security')).toBeNull();
    }
  });

  it('shape every error as { code, message, requestId } without a stack', async () => {
    const gateway = await startGateway();
    for (const response of [await fetch(`${gateway.url}/no-such-route`), await gateway.post('{}', { signature: 'sha256=zz' })]) {
      const text = await response.text();
      const body = JSON.parse(text) as Record<string, unknown>;
      expect(Object.keys(body).sort()).toEqual(['code', 'message', 'requestId']);
      expect(body.requestId).toBe(response.headers.get('x-request-id'));
      expect(text).not.toMatch(/\bat .+\.(?:ts|js):\d+/);
    }
  });

  it('a 401 never reveals the signature the gateway expected', async () => {
    const gateway = await startGateway();
    const { body } = newMessage();
    const expectedHex = signWebhookBody(gateway.secrets.appSecret, body).slice('sha256='.length);
    const response = await gateway.post(body, { signature: `sha256=${'0'.repeat(64)}` });
    expect(response.status).toBe(401);
    expect(await response.text()).not.toContain(expectedHex);
    expect(gateway.logs()).not.toContain(expectedHex);
  });
});

describe('readiness', () => {
  it('answers /readyz with 200 ready when the database and writer are healthy', async () => {
    const gateway = await startGateway();
    const response = await fetch(`${gateway.url}/readyz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ready', failing: [] });
  });

  it('answers /readyz with 503 naming every failing or throwing check', async () => {
    const database = await createSqliteDatabase();
    const app = await createApp({
      config: buildTestConfig(database, createTestSecrets()),
      logger: createLogger('silent'),
      readinessChecks: [
        { name: 'database', isReady: async () => false },
        { name: 'writer-queue', isReady: async () => true },
        { name: 'kms', isReady: () => Promise.reject(new Error('unreachable')) },
      ],
      registerRoutes: async () => undefined,
    });
    cleanups.push(async () => {
      await app.close();
      await database.drop();
    });
    const response = await app.inject({ method: 'GET', url: '/readyz' });
    expect(response.statusCode).toBe(503);
    expect(response.json()).toEqual({ status: 'unready', failing: ['database', 'kms'] });
  });
});
