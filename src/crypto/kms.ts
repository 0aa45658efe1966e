/**
 * What Rampart needs from a key management service: wrap and unwrap its own keys under a
 * key-encryption key (KEK) it never sees. Providers: local (keyring file), pkcs11 (a token or HSM),
 * vault-transit (HashiCorp Vault) and aws-kms; `createKmsProvider` (kms-factory.ts) picks one.
 */

/** Bound into every wrap as AAD, so a wrapped key only unwraps for the key and owner it was made for. */
export interface WrapContext {
  purpose: 'data-key' | 'index-key' | 'signing-key';
  keyId: string;
  /** '' when the key does not belong to a contact. */
  contactId: string;
}

/** What the database stores (key.table.ts: kek_provider, kek_id, kek_version, wrapped_key). */
export interface WrappedKey {
  provider: string;
  kekId: string;
  kekVersion: number;
  ciphertext: Buffer;
}

/** One KEK version as the KMS reports it. */
export interface KekVersionInfo {
  version: number;
  /** `active` versions unwrap (the highest also wraps); `retired` ones are destroyed or disabled and unwrap nothing. */
  state: 'active' | 'retired';
  /** ISO 8601, when the KMS says; null when it does not. */
  createdAt: string | null;
}

/**
 * KEK rotation where Rampart drives it (local, pkcs11, vault-transit). aws-kms has none: AWS rotates
 * the backing key inside one key ARN and Decrypt keeps working, so there is nothing to rewrap.
 */
export interface KekRotation {
  /** Creates the next KEK version; this process wraps with it at once, other processes after their next `refresh()`. */
  createVersion(): Promise<number>;
  /** Every version the KMS knows for this KEK, oldest first. */
  listVersions(): Promise<KekVersionInfo[]>;
  /**
   * Destroys (or, where the KMS cannot, permanently disables) a version: wraps under it never unwrap
   * again. Refuses the current version. The caller checks first that nothing is wrapped under it.
   */
  retireVersion(version: number): Promise<void>;
}

export interface KmsProvider {
  readonly provider: string;
  readonly kekId: string;
  /** The KEK version new wraps use. */
  currentVersion(): number;
  /**
   * Learns about versions another process created or retired (a rotation run by `rampart keys`).
   * Providers also refresh on their own (before wrapping, at most every few seconds, and when an
   * unknown version is met), so callers need this only to be sure, as rotation does.
   */
  refresh(): Promise<void>;
  /**
   * Moves a wrap to the current version without the key leaving the KMS, where the KMS can do that
   * (vault-transit: rewrap). Absent: rotation unwraps and wraps again in this process.
   */
  rewrapKey?(wrapped: WrappedKey, context: WrapContext): Promise<WrappedKey>;
  /** Present where Rampart drives KEK rotation; see KekRotation. */
  readonly rotation?: KekRotation;
  wrapKey(key: Buffer, context: WrapContext): Promise<WrappedKey>;
  /**
   * Present where the KMS makes the key itself from its own random source (aws-kms: GenerateDataKey);
   * otherwise Rampart makes a key and calls wrapKey. Either way the caller gets the key and its wrap.
   */
  generateKey?(context: WrapContext): Promise<{ key: Buffer; wrapped: WrappedKey }>;
  /**
   * AppError('DECRYPT_FAILED') for a wrong context or tampering; 'KMS_UNAVAILABLE' for an unknown KEK,
   * a wrap made by another provider or KEK, or a KMS that cannot be reached.
   */
  unwrapKey(wrapped: WrappedKey, context: WrapContext): Promise<Buffer>;
  /** Forgets key material; later calls fail with AppError('KMS_UNAVAILABLE'). */
  close(): Promise<void>;
}
