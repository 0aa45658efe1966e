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

export interface KmsProvider {
  readonly provider: string;
  readonly kekId: string;
  /** The KEK version new wraps use. */
  currentVersion(): number;
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
