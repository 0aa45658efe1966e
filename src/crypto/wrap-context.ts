/**
 * What every KMS provider binds into a wrapped key, and the check that a stored wrap belongs to the
 * configured KEK before anything is sent to a token or a server.
 */
import { AppError } from '../errors.js';
import { encodeLengthPrefixedStrings, encodeUint32, isShortAscii } from './byte-encoding.js';
import type { WrapContext, WrappedKey } from './kms.js';

/** The provider names Rampart knows; a stored name outside this list is not echoed. */
export const KMS_PROVIDER_NAMES = ['local', 'pkcs11', 'vault-transit', 'aws-kms'] as const;
export type KmsProviderName = (typeof KMS_PROVIDER_NAMES)[number];

const WRAP_PURPOSES: ReadonlySet<string> = new Set(['data-key', 'index-key', 'signing-key']);

export interface WrapBinding {
  /** Names the format, so bytes made for one provider's wraps never verify as another's. */
  domain: string;
  provider: string;
  kekId: string;
  /** null where the KMS chooses the version itself (Vault): its ciphertext names the version. */
  kekVersion: number | null;
}

/**
 * The canonical context bytes: `domain, provider, kekId` (uint16-length-prefixed UTF-8)
 * ‖ `kekVersion` (uint32 BE, when bound) ‖ `purpose, keyId, contactId` (uint16-length-prefixed).
 * The local provider's AAD is exactly this with domain "rampart/local-kms/wrap/v1".
 */
export function encodeWrapContext(binding: WrapBinding, context: WrapContext): Buffer {
  assertWrapContext(context);
  return Buffer.concat([
    encodeLengthPrefixedStrings([binding.domain, binding.provider, binding.kekId]),
    binding.kekVersion === null ? Buffer.alloc(0) : encodeUint32(binding.kekVersion),
    encodeLengthPrefixedStrings([context.purpose, context.keyId, context.contactId]),
  ]);
}

/** A caller bug, not a data problem: purposes are a closed set and every wrapped key has an id. */
export function assertWrapContext(context: WrapContext): void {
  if (!WRAP_PURPOSES.has(context.purpose)) throw new RangeError('Unknown wrap purpose');
  if (context.keyId === '') throw new RangeError('Wrap context needs a keyId');
}

/**
 * Refuses a wrap made by another provider or under another KEK, naming both sides so the operator
 * sees which RAMPART_KMS the data needs. Rampart does not move keys between providers.
 */
export function assertWrappedByThisKek(wrapped: WrappedKey, expected: { provider: string; kekId: string }): void {
  if (wrapped.provider !== expected.provider) {
    throw new AppError(
      'KMS_UNAVAILABLE',
      `This key was wrapped by ${describeStoredProvider(wrapped.provider)}, but RAMPART_KMS selects the ` +
        `"${expected.provider}" provider. Rampart does not move keys between providers: configure RAMPART_KMS ` +
        'for the provider and key that wrapped this data.',
    );
  }
  if (wrapped.kekId !== expected.kekId) {
    throw new AppError(
      'KMS_UNAVAILABLE',
      `This key was wrapped under ${describeStoredKekId(wrapped.kekId)} of the "${expected.provider}" provider, ` +
        `but RAMPART_KMS selects KEK ${expected.kekId}. Configure RAMPART_KMS for the key that wrapped this data.`,
    );
  }
}

// Stored names come from the database: echo them only when they are known or plain identifiers.
function describeStoredProvider(provider: string): string {
  return (KMS_PROVIDER_NAMES as readonly string[]).includes(provider)
    ? `the "${provider}" KMS provider`
    : 'an unknown KMS provider';
}

function describeStoredKekId(kekId: string): string {
  return isShortAscii(kekId, 255) ? `KEK ${kekId}` : 'another KEK';
}
