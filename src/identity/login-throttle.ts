import { createHmac } from 'node:crypto';
import { PostgresAdapter } from 'kysely';
import type { Clock } from '../clock.js';
import type { Db } from '../db/database.js';
import type { LoginThrottleTable } from './identity.table.js';

export const throttleLimits = {
  /** Consecutive failures on one account (known or not) before it locks. */
  accountFailures: 10,
  /** The first lock; each further lock doubles, up to the maximum. */
  firstLockMs: 15 * 60_000,
  maxLockMs: 24 * 3_600_000,
  /** A quiet day forgets earlier locks. */
  lockMemoryMs: 24 * 3_600_000,
  /** Failures from one address in a sliding window before that address is refused. */
  sourceFailures: 20,
  sourceWindowMs: 15 * 60_000,
} as const;

export interface AttemptSubject {
  /** The normalised email typed at sign-in (or the user's, for second factors). */
  email: string;
  sourceAddress: string | null;
}

export type AttemptVerdict = { isAllowed: true; didLockAccount: boolean } | { isAllowed: false };

/**
 * Sign-in throttling, per account and per source address, stored in the database so every gateway
 * process shares it. Accounts are keyed by a keyed hash of the email typed, whether a user has it
 * or not: an unknown email locks exactly like a real one, so a lock reveals nothing.
 *
 * An attempt is counted as a failure *before* the password is checked (and forgiven after a
 * success): parallel guesses cannot slip past the limit while their checks are still running.
 */
export function createLoginThrottle({ db, clock, getAccountKeySecret }: { db: Db; clock: Clock; getAccountKeySecret: () => Promise<Buffer> }) {
  const isPostgres = db.getExecutor().adapter instanceof PostgresAdapter;

  async function accountKeyOf(email: string): Promise<string> {
    return `account:${createHmac('sha256', await getAccountKeySecret()).update(email, 'utf8').digest('hex')}`;
  }

  function sourceKeyOf(sourceAddress: string | null): string {
    return `source:${sourceAddress ?? 'unknown'}`;
  }

  /** Counts one attempt; refuses it while the account is locked or the source is over its limit. */
  async function beginAttempt(subject: AttemptSubject): Promise<AttemptVerdict> {
    const accountKey = await accountKeyOf(subject.email);
    return db.transaction().execute(async (trx) => {
      const now = clock.now();
      // Always source first, then account: one lock order, no deadlocks between attempts.
      const source = await loadForUpdate(trx, sourceKeyOf(subject.sourceAddress), now);
      const account = await loadForUpdate(trx, accountKey, now);
      const isSourceBlocked = estimateSourceFailures(source, now) >= throttleLimits.sourceFailures;
      const isAccountLocked = account.locked_until !== null && account.locked_until > now;
      // Refused attempts count at the source too: an address that keeps trying stays refused.
      await save(trx, { ...rollSourceWindow(source, now), updated_at: now });
      if (isSourceBlocked || isAccountLocked) return { isAllowed: false };
      const lockouts = now - account.updated_at > throttleLimits.lockMemoryMs ? 0 : account.lockouts;
      const failures = account.failures + 1;
      if (failures < throttleLimits.accountFailures) {
        await save(trx, { ...account, failures, lockouts, updated_at: now });
        return { isAllowed: true, didLockAccount: false };
      }
      const lockMs = Math.min(throttleLimits.firstLockMs * 2 ** lockouts, throttleLimits.maxLockMs);
      await save(trx, { ...account, failures: 0, lockouts: lockouts + 1, locked_until: now + lockMs, updated_at: now });
      return { isAllowed: true, didLockAccount: true };
    });
  }

  /** The attempt succeeded: the account starts afresh and the source's count forgets this attempt. */
  async function forgiveAttempt(subject: AttemptSubject): Promise<void> {
    const accountKey = await accountKeyOf(subject.email);
    const now = clock.now();
    await db.deleteFrom('login_throttles').where('key', '=', accountKey).execute();
    await db
      .updateTable('login_throttles')
      .set((eb) => ({ failures: eb('failures', '-', 1), updated_at: now }))
      .where('key', '=', sourceKeyOf(subject.sourceAddress))
      .where('failures', '>', 0)
      .execute();
  }

  /** An admin's reset clears the account's lock. */
  async function clearAccount(email: string): Promise<void> {
    await db.deleteFrom('login_throttles').where('key', '=', await accountKeyOf(email)).execute();
  }

  /** Rows untouched for longer than any lock and window could matter. */
  async function purgeStale(): Promise<void> {
    await db.deleteFrom('login_throttles').where('updated_at', '<', clock.now() - 2 * throttleLimits.lockMemoryMs).execute();
  }

  async function loadForUpdate(trx: Db, key: string, now: number): Promise<LoginThrottleTable> {
    await trx
      .insertInto('login_throttles')
      .values({ key, failures: 0, previous_failures: 0, window_started_at: windowStartOf(now), locked_until: null, lockouts: 0, updated_at: now })
      .onConflict((conflict) => conflict.column('key').doNothing())
      .execute();
    // PostgreSQL: the row lock serialises concurrent attempts; SQLite serialises write transactions itself.
    const query = trx.selectFrom('login_throttles').selectAll().where('key', '=', key);
    return (isPostgres ? query.forUpdate() : query).executeTakeFirstOrThrow();
  }

  async function save(trx: Db, row: LoginThrottleTable): Promise<void> {
    const { key, ...values } = row;
    await trx.updateTable('login_throttles').set(values).where('key', '=', key).execute();
  }

  return { beginAttempt, forgiveAttempt, clearAccount, purgeStale };
}

export type LoginThrottle = ReturnType<typeof createLoginThrottle>;

function windowStartOf(now: number): number {
  return now - (now % throttleLimits.sourceWindowMs);
}

/** The source row after counting one more failure in the current fixed window. */
function rollSourceWindow(row: LoginThrottleTable, now: number): LoginThrottleTable {
  const current = windowStartOf(now);
  if (row.window_started_at === current) return { ...row, failures: row.failures + 1 };
  const isPreviousWindow = row.window_started_at === current - throttleLimits.sourceWindowMs;
  return { ...row, previous_failures: isPreviousWindow ? row.failures : 0, failures: 1, window_started_at: current };
}

/** Sliding-window estimate: the previous window's count weighted by how much of it still overlaps. */
export function estimateSourceFailures(row: Pick<LoginThrottleTable, 'failures' | 'previous_failures' | 'window_started_at'>, now: number): number {
  const current = windowStartOf(now);
  const window = throttleLimits.sourceWindowMs;
  if (row.window_started_at === current) return row.failures + row.previous_failures * (1 - (now - current) / window);
  if (row.window_started_at === current - window) return row.failures * (1 - (now - current) / window);
  return 0;
}
