/**
 * The checkpoint signer of this deployment: its Ed25519 key (kept wrapped by the KMS in
 * `key_material`) under the log's origin, `rampart/<deployment id>/audit`, which is also the key
 * name, so a verifier key alone tells a verifier which log it is for.
 */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { DatabaseSchema } from '../db/database-schema.js';
import type { Logger } from '../logger.js';
import { ensureAuditOrigin, publishVerifierKey } from './audit-repository.js';
import { createNoteSigner } from './signed-note.js';
import type { NoteSigner } from './signed-note.js';

export interface LoadAuditSignerOptions {
  db: Kysely<DatabaseSchema>;
  /** The 32-byte seed from `keys.loadAuditSigningKey(db)`. */
  signingKey: Uint8Array;
  logger: Logger;
}

/**
 * Fixes the log's origin on first use and publishes the verifier key in `audit_head` for
 * convenience. A stored key that differs from ours is left as it is and reported: either someone
 * replaced it, or the signing key changed; verifiers that pin the real key will see the difference.
 */
export async function loadAuditSigner({ db, signingKey, logger }: LoadAuditSignerOptions): Promise<NoteSigner> {
  const origin = await ensureAuditOrigin(db, `rampart/${randomUUID()}/audit`);
  const signer = createNoteSigner({ keyName: origin, privateKey: signingKey });
  const published = await publishVerifierKey(db, signer.verifierKey);
  if (published !== signer.verifierKey) {
    logger.error(
      { verifierKey: signer.verifierKey },
      'the audit verifier key stored in the database is not this deployment\'s key: it was replaced or the signing key changed; verify with --verifier-key',
    );
  }
  return signer;
}
