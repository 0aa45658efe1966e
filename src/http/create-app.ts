import { randomUUID } from 'node:crypto';
import underPressure from '@fastify/under-pressure';
import Fastify from 'fastify';
import helmet from 'helmet';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config/load-config.js';
import { AppError } from '../errors.js';
import type { Logger } from '../logger.js';
import { installErrorHandlers } from './error-handler.js';
import { registerHealthRoutes } from './health-routes.js';
import type { ReadinessCheck } from './health-routes.js';
import { createTlsOptions } from './tls-options.js';

export interface CreateAppOptions {
  config: Config;
  logger: Logger;
  readinessChecks: readonly ReadinessCheck[];
  /** Feature slices register their routes here, each in its own encapsulated plugin. */
  registerRoutes(app: FastifyInstance): Promise<void>;
  /** Told about every answered request, whichever route (or none) took it: the HTTP metrics. */
  onResponse?(request: FastifyRequest, reply: FastifyReply): void;
}

/** Builds the HTTP app without listening, so tests can drive it through `app.inject`. */
export async function createApp(options: CreateAppOptions): Promise<FastifyInstance> {
  const { config, logger } = options;
  const app = Fastify({
    loggerInstance: logger,
    ...(config.http.tls ? { https: createTlsOptions(config.http.tls) } : {}),
    trustProxy: config.http.trustedProxies.length > 0 ? [...config.http.trustedProxies] : false,
    // Our own ids: an id from outside could be used to confuse log correlation.
    genReqId: () => randomUUID(),
    bodyLimit: 1024 * 1024,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    connectionTimeout: 30_000,
    requestTimeout: 60_000,
    // A malformed URL is answered in our error shape; Fastify's own answer would echo the URL (query included).
    frameworkErrors: (_error, request, reply) => {
      void (reply as FastifyReply).code(400).send({ code: 'INVALID_REQUEST', message: 'The request URL is malformed.', requestId: request.id });
    },
  }) as unknown as FastifyInstance;

  installErrorHandlers(app);
  // No route outside a slice's own plugin takes a body: nothing unsigned is parsed (the webhook
  // plugin installs its own raw-bytes parser in its scope).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, _payload, done) => {
    done(new AppError('UNSUPPORTED_MEDIA_TYPE', 'This route takes no body.'), undefined);
  });
  const { onResponse } = options;
  if (onResponse) {
    app.addHook('onResponse', (request, reply, done) => {
      onResponse(request, reply);
      done();
    });
  }
  let isClosing = false;
  app.addHook('preClose', async () => {
    isClosing = true;
  });
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
    // While closing, in-flight requests still get their answer, then their keep-alive connection
    // ends; otherwise close would wait for idle keep-alive connections to time out.
    if (isClosing) reply.header('connection', 'close');
  });
  // helmet's middleware is built once here; @fastify/helmet rebuilt it on every request (~37 µs each).
  const applySecurityHeaders = helmet({
    // An API and webhook receiver: nothing here is meant to be framed, scripted or sniffed.
    contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
    strictTransportSecurity: config.http.tls ? { maxAge: 63_072_000, includeSubDomains: true } : false,
  });
  app.addHook('onRequest', (request, reply, done) => {
    applySecurityHeaders(request.raw, reply.raw, (error?: unknown) => done(error instanceof Error ? error : undefined));
  });
  await app.register(underPressure, {
    maxEventLoopDelay: 1_000,
    retryAfter: 5,
    exposeStatusRoute: false,
    pressureHandler: (_request, reply) => {
      reply.code(503).header('retry-after', '5').send({ code: 'OVERLOADED', message: 'Rampart is under pressure; retry shortly.' });
    },
  });
  await registerHealthRoutes(app, options.readinessChecks);
  await options.registerRoutes(app);
  return app;
}
