import { isAppError } from '../errors.js';
import { scrubText } from '../logger.js';

/**
 * Prints a failure a person can act on and exits: 2 for configuration, 1 for everything else.
 * Causes are shown by code and scrubbed message (a driver's message may quote a value).
 */
export function exitWithError(error: unknown): never {
  if (isAppError(error) && error.code === 'CONFIG_INVALID') {
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
  const lines = [`rampart: ${isAppError(error) ? error.message : 'unexpected error (the stack below says where)'}`];
  let cause = isAppError(error) ? error.cause : error;
  while (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code;
    lines.push(`  cause: ${scrubText(cause.message)}${typeof code === 'string' ? ` (${code})` : ''}`);
    if (!isAppError(error) && cause === error && cause.stack) lines.push(cause.stack.split('\n').slice(1, 6).join('\n'));
    cause = cause.cause;
  }
  process.stderr.write(`${lines.join('\n')}\n`);
  process.exit(1);
}
