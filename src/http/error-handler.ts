import type { FastifyError, FastifyInstance } from 'fastify';
import { isDatabaseUnreachable } from '../db/database-errors.js';
import { AppError, isAppError } from '../errors.js';

/** Fastify's own errors that are the caller's fault, mapped to our codes. */
const fastifyCodes: Record<string, AppError['code']> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'INVALID_REQUEST',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'INVALID_REQUEST',
  FST_ERR_VALIDATION: 'INVALID_REQUEST',
};

/**
 * One place turns errors into `{ code, message, requestId }`. Our AppErrors carry messages written
 * for the caller; anything else (database, crypto, bugs) becomes a generic 500 and is only logged.
 */
export function installErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | AppError, request, reply) => {
    const appError = toAppError(error);
    if (appError.statusCode >= 500) request.log.error({ err: error, code: appError.code }, 'request failed');
    if (appError.code === 'OVERLOADED' || appError.code === 'STORE_UNAVAILABLE') reply.header('retry-after', '5');
    if (appError.code === 'UNAUTHENTICATED') reply.header('www-authenticate', 'Bearer');
    const retryAfter = (error as { retryAfterSeconds?: number }).retryAfterSeconds;
    if (retryAfter !== undefined) reply.header('retry-after', String(retryAfter));
    return reply.code(appError.statusCode).send({ code: appError.code, message: appError.message, requestId: request.id });
  });
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({ code: 'NOT_FOUND', message: 'No such route.', requestId: request.id }),
  );
}

function toAppError(error: FastifyError | AppError): AppError {
  if (isAppError(error)) return error;
  if (Array.isArray(error.validation) && error.validation.length > 0) return validationError(error);
  const mapped = error.code ? fastifyCodes[error.code] : undefined;
  if (mapped === 'PAYLOAD_TOO_LARGE') return new AppError(mapped, 'The body is larger than this route accepts.');
  if (mapped === 'UNSUPPORTED_MEDIA_TYPE') return new AppError(mapped, 'Send the body as application/json.');
  if (mapped) return new AppError(mapped, 'The request is malformed.');
  if (error.statusCode === 503) return new AppError('OVERLOADED', 'Rampart is under pressure; retry shortly.');
  // Not a bug but an outage: the caller should retry (with its Idempotency-Key), as after any 503.
  if (isDatabaseUnreachable(error)) return new AppError('STORE_UNAVAILABLE', 'The database is unreachable; nothing was changed. Retry shortly.');
  // Other client-side faults Fastify reports (an aborted body, a bad header): the caller's, not a 500.
  if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
    return new AppError('INVALID_REQUEST', 'The request is malformed.');
  }
  return new AppError('INTERNAL', 'Something went wrong; the request id identifies it in the logs.');
}

/** Names each invalid field and what is wrong with it; zod's messages describe the rule, never the value. */
function validationError(error: FastifyError): AppError {
  const where = error.validationContext ?? 'request';
  const problems = (error.validation ?? []).slice(0, 10).map((issue) => {
    const field = issue.instancePath.replace(/^\//, '').replaceAll('/', '.');
    return field ? `${field}: ${issue.message ?? 'invalid'}` : (issue.message ?? 'invalid');
  });
  return new AppError('INVALID_REQUEST', `Invalid ${where}: ${problems.join('; ')}`);
}
