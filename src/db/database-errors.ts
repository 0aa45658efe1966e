/** Classifies driver errors (better-sqlite3, pg, Node sockets) by what the writer should do next. */

const unreachableCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND', '57P01', '57P02', '57P03']);

/** The database cannot be reached: retrying item by item would only wait out the same timeout again. */
export function isDatabaseUnreachable(error: unknown): boolean {
  const code = errorCodeOf(error);
  if (code !== undefined && (unreachableCodes.has(code) || code.startsWith('08'))) return true;
  const message = error instanceof Error ? error.message : '';
  return /timeout exceeded when trying to connect|Connection terminated|connect ECONNREFUSED/i.test(message);
}

/**
 * A deadlock, a serialization failure, or a lost race on a unique key (two gateways creating the
 * same row): the same batch usually succeeds when tried again.
 */
export function isTransientConflict(error: unknown): boolean {
  const code = errorCodeOf(error);
  return code === '40P01' || code === '40001' || code === '23505' || code === 'SQLITE_BUSY';
}

function errorCodeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}
