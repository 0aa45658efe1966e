import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import type { Config } from '../config/load-config.js';
import { equalsConstantTime, hmacSha256, randomBytes } from '../crypto/primitives.js';
import { AppError } from '../errors.js';
import type { IngestService } from './ingest-service.js';
import { createFallbackRateLimitStore } from './fallback-rate-limit-store.js';
import { createAddressMatcher } from './ip-allowlist.js';
import { rateLimitKeyOf } from './rate-limit-key.js';
import { normaliseWebhook } from './normalise.js';
import { verifyWebhookSignature } from './signature.js';
import { measureJsonDepth } from './json-depth.js';
import { parseWebhookPayload } from './webhook-schema.js';

export interface WebhookRoutesOptions {
  config: Config;
  ingest: IngestService;
  /** Shares the rate limit between gateway processes when set. */
  redis: Redis | null;
}

const WEBHOOK_PATH = '/webhooks/whatsapp';

/**
 * The only place that sees Meta's raw bytes. This plugin owns the raw-body parser and the
 * signature check, so no other route can accept an unverified body. Order per request:
 * IP allowlist → rate limit → body limit → HMAC over the raw bytes → depth limit → JSON.parse
 * → schema → store (durably) → 200.
 */
export async function registerWebhookRoutes(app: FastifyInstance, options: WebhookRoutesOptions): Promise<void> {
  const { config, ingest, redis } = options;
  const appSecret = Buffer.from(config.whatsapp.appSecret.reveal(), 'utf8');
  // Tokens are compared as MACs under a per-process key: equal length always, so the compare does
  // not reveal the token's length either.
  const compareKey = randomBytes(32);
  const verifyTokenMac = hmacSha256(compareKey, Buffer.from(config.whatsapp.verifyToken.reveal(), 'utf8'));

  // Raw bytes only: parsing waits until the signature has been checked.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit: config.http.bodyLimitBytes }, (_request, body, done) => {
    done(null, body);
  });

  if (config.http.ipAllowlist) {
    const isAllowed = createAddressMatcher(config.http.ipAllowlist);
    app.addHook('onRequest', async (request) => {
      if (!isAllowed(request.ip)) throw new AppError('FORBIDDEN_ADDRESS', 'This address may not call the webhook.');
    });
  }

  await app.register(rateLimit, {
    global: true,
    max: config.http.rateLimitPerMinute,
    timeWindow: 60_000,
    keyGenerator: (request) => rateLimitKeyOf(request.ip),
    // Shared through Redis when configured; while Redis is unreachable each process counts alone.
    ...(redis ? { store: createFallbackRateLimitStore(redis, 'rampart-webhook-rl:') } : {}),
    // A store error must never refuse Meta's events (the fallback store does not fail; this is the last resort).
    skipOnError: true,
    errorResponseBuilder: (_request, context) =>
      Object.assign(new AppError('RATE_LIMITED', `Too many requests; retry in ${Math.ceil(context.ttl / 1000)} s.`), {
        retryAfterSeconds: Math.ceil(context.ttl / 1000),
      }),
  });

  app.get(WEBHOOK_PATH, async (request: FastifyRequest, reply: FastifyReply) => {
    const query = request.query as Record<string, unknown>;
    const mode = query['hub.mode'];
    const token = query['hub.verify_token'];
    const challenge = query['hub.challenge'];
    if (mode !== 'subscribe' || typeof token !== 'string' || typeof challenge !== 'string' || challenge.length > 1_000) {
      throw new AppError('INVALID_REQUEST', 'Expected hub.mode=subscribe, hub.verify_token and hub.challenge.');
    }
    if (!equalsConstantTime(hmacSha256(compareKey, Buffer.from(token, 'utf8')), verifyTokenMac)) {
      request.log.warn({ event: 'webhook.handshake_refused' }, 'webhook handshake with a wrong verify token');
      throw new AppError('VERIFY_TOKEN_MISMATCH', 'The verify token does not match.');
    }
    request.log.info({ event: 'webhook.handshake_accepted' }, 'webhook handshake accepted');
    // The challenge goes back verbatim as plain text, never as HTML.
    return reply.type('text/plain; charset=utf-8').send(challenge);
  });

  app.post(WEBHOOK_PATH, { bodyLimit: config.http.bodyLimitBytes }, async (request, reply) => {
    const rawBody = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    const verdict = verifyWebhookSignature(appSecret, rawBody, request.headers['x-hub-signature-256']);
    if (verdict !== 'valid') {
      request.log.warn({ event: 'webhook.signature_refused', verdict }, 'webhook refused: signature %s', verdict);
      throw new AppError('INVALID_SIGNATURE', signatureMessages[verdict]);
    }
    const events = parseEvents(rawBody, config.http.maxJsonDepth);
    const result = await ingest.ingest(events);
    request.log.info({ event: 'webhook.stored', events: events.length, ...result }, 'webhook stored');
    return reply.code(200).send({ status: 'stored' });
  });
}

const signatureMessages = {
  missing: 'X-Hub-Signature-256 is missing.',
  malformed: 'X-Hub-Signature-256 must be sha256=<64 hex digits>.',
  mismatch: 'X-Hub-Signature-256 does not match the body.',
} as const;

function parseEvents(rawBody: Buffer, maxDepth: number) {
  if (!measureJsonDepth(rawBody, maxDepth)) {
    throw new AppError('INVALID_PAYLOAD', `The body nests deeper than ${maxDepth} levels.`);
  }
  let json: unknown;
  try {
    json = JSON.parse(rawBody.toString('utf8'));
  } catch {
    throw new AppError('INVALID_PAYLOAD', 'The body is not valid JSON.');
  }
  const parsed = parseWebhookPayload(json);
  if (!parsed.ok) throw new AppError('INVALID_PAYLOAD', `Not a Cloud API webhook: ${parsed.reason}`);
  return normaliseWebhook(parsed.payload);
}
