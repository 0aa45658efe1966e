/**
 * The checkpoint signer of this deployment: the current version of its Ed25519 signing key (kept
 * wrapped by the KMS, audit-signing-keys.ts) under the log's origin, `rampart/<deployment id>/audit`,
 * which is also the key name of every version, so a verifier key alone tells a verifier which log
 * it is for. Versions differ in their key id (the C2SP key hash), which each signature line carries.
 *
 * `refresh` picks up a rotation made by another process (`rampart audit rotate-key`); the
 * checkpointer calls it before every signing. Every verifier key this signer hands out comes from a
 * private key the KMS unwrapped, so a database writer cannot slip a key of their own into it.
 */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Clock } from '../clock.js';
import { systemClock } from '../clock.js';
import type { KmsProvider } from '../crypto/kms.js';
import type { DatabaseSchema } from '../db/database-schema.js';
import { AppError } from '../errors.js';
import type { Logger } from '../logger.js';
import { ensureAuditOrigin, publishVerifierKey } from './audit-repository.js';
import { ensureFirstSigningKey, listSigningKeys, readCurrentSigningKeyVersion, recordVerifierKey, unwrapSigningKey } from './audit-signing-keys.js';
import { createNoteSigner } from './signed-note.js';
import type { NoteSigner } from './signed-note.js';

export interface LoadAuditSignerOptions {
  db: Kysely<DatabaseSchema>;
  kms: KmsProvider;
  logger: Logger;
  clock?: Clock;
}

export interface CurrentSigningKey {
  readonly version: number;
  readonly signer: NoteSigner;
}

export interface AuditSigner {
  /** The log's origin, the key name of every version. */
  readonly origin: string;
  /** The key that signs now (as of the last `refresh`). */
  current(): CurrentSigningKey;
  /** Re-reads which version is current and loads it when it changed; true when it did. Throws when it cannot be loaded. */
  refresh(): Promise<boolean>;
  /** A version's verifier key, authenticated by the KMS (loaded when new); null when it does not exist or does not unwrap. */
  findVerifierKey(version: number): Promise<string | null>;
  /** Every version's verifier key, oldest first: those the table lists and any loaded before (versions that do not unwrap are left out, and logged). */
  listVerifierKeys(): Promise<string[]>;
}

/**
 * Fixes the log's origin on first use, makes sure a key exists (carrying an older deployment's key
 * over as version 1), loads the current version and publishes its verifier key in `audit_head` for
 * convenience. A stored verifier key that differs from the one the KMS vouches for is left as it is
 * and reported: someone replaced it; verifiers that pin the real key will see the difference.
 */
export async function loadAuditSigner({ db, kms, logger, clock = systemClock }: LoadAuditSignerOptions): Promise<AuditSigner> {
  const origin = await ensureAuditOrigin(db, `rampart/${randomUUID()}/audit`);
  await ensureFirstSigningKey(db, kms, origin, clock.now());
  const verifierKeys = new Map<number, string>();

  async function loadVersion(version: number): Promise<NoteSigner> {
    const seed = await unwrapSigningKey(db, kms, version);
    const signer = createNoteSigner({ keyName: origin, privateKey: seed });
    seed.fill(0);
    const stored = await recordVerifierKey(db, version, signer.verifierKey);
    if (stored !== signer.verifierKey) {
      logger.error(
        { version, verifierKey: signer.verifierKey },
        'the audit verifier key stored for this signing key version is not the key the KMS unwraps: it was replaced; verify with --verifier-key',
      );
    }
    verifierKeys.set(version, signer.verifierKey);
    return signer;
  }

  async function loadCurrent(): Promise<CurrentSigningKey> {
    const version = await readCurrentSigningKeyVersion(db);
    if (version === null) throw new AppError('INTERNAL', 'The audit log has no current signing key (every version is retired): the key table was changed; run `rampart audit verify`.');
    return { version, signer: await loadVersion(version) };
  }

  let current = await loadCurrent();
  const published = await publishVerifierKey(db, current.signer.verifierKey);
  if (published !== current.signer.verifierKey) {
    logger.error(
      { verifierKey: current.signer.verifierKey },
      'the audit verifier key stored in the database is not this deployment\'s key: it was replaced or the signing key changed; verify with --verifier-key',
    );
  }

  async function findVerifierKey(version: number): Promise<string | null> {
    const known = verifierKeys.get(version);
    if (known !== undefined) return known;
    try {
      return (await loadVersion(version)).verifierKey;
    } catch (error) {
      logger.error({ err: error, version }, 'an audit signing key version could not be unwrapped, so checkpoints it signed cannot be trusted');
      return null;
    }
  }

  return {
    origin,
    current: () => current,
    async refresh() {
      const version = await readCurrentSigningKeyVersion(db);
      if (version === current.version) return false;
      current = await loadCurrent();
      logger.info({ version: current.version, verifierKey: current.signer.verifierKey }, 'audit checkpoints are now signed with a new key version; pin it for `rampart audit verify --verifier-key`');
      return true;
    },
    findVerifierKey,
    async listVerifierKeys() {
      for (const { version } of await listSigningKeys(db)) await findVerifierKey(version);
      // Every version this process ever unwrapped, whatever the table lists now: deleting rows cannot shrink what it trusts to nothing.
      return [...verifierKeys.entries()].sort(([a], [b]) => a - b).map(([, key]) => key);
    },
  };
}
