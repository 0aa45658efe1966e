import pino from 'pino';
import type { DestinationStream, Logger, LoggerOptions } from 'pino';
import { isAppError } from './errors.js';

export type { Logger };

/**
 * Defence in depth: Rampart never passes customer data to the logger, and these paths are
 * censored anyway in case a field slips into a log object.
 */
const redactedPaths = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-hub-signature-256"]',
  '*.wa_id',
  '*.waId',
  '*.from',
  '*.to',
  '*.phone',
  '*.recipient_id',
  '*.name',
  '*.profileName',
  '*.body',
  '*.text',
  '*.caption',
  '*.password',
  '*.token',
  '*.secret',
];

/** Long digit runs look like phone numbers or ids; quoted text may be a value echoed by a driver. */
export function scrubText(text: string): string {
  return text.replace(/\+?\d[\d\s-]{5,}\d/g, '[digits]').replace(/(["'])(?:(?!\1).){1,200}\1/g, '$1…$1');
}

interface RequestLike {
  id?: unknown;
  method?: string;
  url?: string;
  ip?: string;
  headers?: Record<string, unknown>;
}

export const logSerializers = {
  // The query string is dropped: the webhook handshake carries hub.verify_token there.
  req: (request: RequestLike) => ({
    id: request.id,
    method: request.method,
    path: request.url?.split('?')[0],
    remoteAddress: request.ip,
    userAgent: request.headers?.['user-agent'],
  }),
  res: (reply: { statusCode?: number }) => ({ statusCode: reply.statusCode }),
  err: serializeError,
};

/** Errors are logged by code and class; messages of foreign errors are scrubbed, causes followed. */
export function serializeError(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { type: typeof error };
  const serialized: Record<string, unknown> = {
    type: error.name,
    message: isAppError(error) ? error.message : scrubText(error.message),
  };
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' || typeof code === 'number') serialized.code = code;
  if (error.stack) serialized.stack = error.stack.split('\n').slice(1, 6).join('\n');
  if (error.cause !== undefined) serialized.cause = serializeError(error.cause);
  return serialized;
}

export function createLoggerOptions(level: string): LoggerOptions {
  return {
    level,
    base: { service: 'rampart' },
    redact: { paths: redactedPaths, censor: '[redacted]' },
    serializers: logSerializers,
  };
}

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return destination ? pino(createLoggerOptions(level), destination) : pino(createLoggerOptions(level));
}
