import { isAppError } from '../errors.js';
import { serializeError } from '../logger.js';

/** Prints a failure a person can act on and exits: 2 for configuration, 1 for everything else. */
export function exitWithError(error: unknown): never {
  if (isAppError(error) && error.code === 'CONFIG_INVALID') {
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
  const message = isAppError(error) ? error.message : 'unexpected error';
  process.stderr.write(`rampart: ${message}\n${JSON.stringify(serializeError(error), null, 2)}\n`);
  process.exit(1);
}
