import { randomBytes, randomUUID } from 'node:crypto';
import type { Clock } from '../clock.js';
import type { Db } from '../db/database.js';
import type { TotpCredentialTable } from './identity.table.js';
import type { SecretBox } from './secret-box.js';
import { buildTotpUri, enrolmentParameters, findTotpStep, TOTP_SECRET_BYTES, totpAlgorithms } from './totp-code.js';
import type { TotpAlgorithm, TotpParameters } from './totp-code.js';

/** An enrolment not confirmed within this time is dropped at the next one. */
const PENDING_ENROLMENT_MS = 15 * 60_000;

/**
 * TOTP (RFC 6238): the secret is generated here, shown once as an otpauth:// URI, stored sealed
 * (secret-box.ts), and used only after a valid code confirms it. Each accepted time step is
 * recorded, and a code of that step or an earlier one is refused: a code works once.
 */
export function createTotpService({ db, clock, secrets }: { db: Db; clock: Clock; secrets: SecretBox }) {
  async function startEnrolment(userId: string, label: string): Promise<{ otpauthUri: string }> {
    const id = randomUUID();
    const secret = randomBytes(TOTP_SECRET_BYTES);
    const parameters: TotpParameters = { secret, ...enrolmentParameters };
    await db.deleteFrom('totp_credentials').where('user_id', '=', userId).where('state', '=', 'pending').execute();
    await storeCredential({ id, userId, state: 'pending', parameters });
    const otpauthUri = buildTotpUri(parameters, label);
    secret.fill(0);
    return { otpauthUri };
  }

  /** Stores a credential (enrolment above; tests with RFC 6238's own secrets and parameters). */
  async function storeCredential({ id, userId, state, parameters }: { id: string; userId: string; state: TotpCredentialTable['state']; parameters: TotpParameters }): Promise<void> {
    const now = clock.now();
    await db
      .insertInto('totp_credentials')
      .values({
        id,
        user_id: userId,
        state,
        secret_enc: await secrets.sealText(secretContext(id), parameters.secret.toString('base64')),
        algorithm: parameters.algorithm,
        digits: parameters.digits,
        period: parameters.period,
        last_used_step: null,
        created_at: now,
        confirmed_at: state === 'active' ? now : null,
      })
      .execute();
  }

  /** A valid code confirms the pending enrolment; it replaces any earlier TOTP of the user. */
  async function confirmEnrolment(userId: string, code: string): Promise<boolean> {
    const now = clock.now();
    const pending = await db
      .selectFrom('totp_credentials')
      .selectAll()
      .where('user_id', '=', userId)
      .where('state', '=', 'pending')
      .where('created_at', '>', now - PENDING_ENROLMENT_MS)
      .executeTakeFirst();
    if (!pending || !(await acceptCode(pending, code))) return false;
    await db.transaction().execute(async (trx) => {
      await trx.deleteFrom('totp_credentials').where('user_id', '=', userId).where('id', '!=', pending.id).execute();
      await trx.updateTable('totp_credentials').set({ state: 'active', confirmed_at: now }).where('id', '=', pending.id).execute();
    });
    return true;
  }

  /** The second factor at sign-in and step-up: the same check the RFC 6238 vectors run through. */
  async function verifyCode(userId: string, code: string): Promise<boolean> {
    const active = await db.selectFrom('totp_credentials').selectAll().where('user_id', '=', userId).where('state', '=', 'active').executeTakeFirst();
    return active ? acceptCode(active, code) : false;
  }

  async function hasActiveTotp(userId: string): Promise<boolean> {
    const row = await db.selectFrom('totp_credentials').select('id').where('user_id', '=', userId).where('state', '=', 'active').executeTakeFirst();
    return row !== undefined;
  }

  async function describeTotp(userId: string): Promise<{ confirmedAt: number } | null> {
    const row = await db.selectFrom('totp_credentials').select('confirmed_at').where('user_id', '=', userId).where('state', '=', 'active').executeTakeFirst();
    return row ? { confirmedAt: row.confirmed_at ?? 0 } : null;
  }

  async function removeTotp(userId: string): Promise<boolean> {
    const result = await db.deleteFrom('totp_credentials').where('user_id', '=', userId).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  async function acceptCode(row: TotpCredentialTable, code: string): Promise<boolean> {
    const secret = Buffer.from(await secrets.openText(secretContext(row.id), row.secret_enc), 'base64');
    const algorithm = (totpAlgorithms as readonly string[]).includes(row.algorithm) ? (row.algorithm as TotpAlgorithm) : 'SHA1';
    const step = findTotpStep({ secret, algorithm, digits: row.digits, period: row.period }, code, clock.now());
    secret.fill(0);
    if (step === null) return false;
    // Conditional on the stored step: of two requests racing with the same code, one wins.
    const result = await db
      .updateTable('totp_credentials')
      .set({ last_used_step: step })
      .where('id', '=', row.id)
      .where((eb) => eb.or([eb('last_used_step', 'is', null), eb('last_used_step', '<', step)]))
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  return { startEnrolment, storeCredential, confirmEnrolment, verifyCode, hasActiveTotp, describeTotp, removeTotp };
}

export type TotpService = ReturnType<typeof createTotpService>;

function secretContext(id: string) {
  return { table: 'totp_credentials', column: 'secret_enc', rowId: id };
}
