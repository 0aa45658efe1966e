import { decryptText, encryptText, readEnvelopeHeader } from '../crypto/envelope.js';
import type { EnvelopeContext, EnvelopeKeyInfo } from '../crypto/envelope.js';

/**
 * The keys identity secrets (TOTP shared secrets) are sealed with. The composition root passes
 * the key store's system data key; tests pass a random key.
 */
export interface SecretKeyring {
  /** The key new secrets are sealed with, and its metadata for the envelope header. */
  getCurrentKey(): Promise<{ key: Buffer; keyInfo: EnvelopeKeyInfo }>;
  /** The key a stored envelope names in its header (after a rotation, an older one). */
  getKeyById(dataKeyId: string): Promise<Buffer>;
}

/** Field envelopes bound to their table, column and row: a sealed secret copied to another row fails to open. */
export function createSecretBox(keyring: SecretKeyring) {
  async function sealText(context: Omit<EnvelopeContext, 'contactId'>, text: string): Promise<Buffer> {
    const { key, keyInfo } = await keyring.getCurrentKey();
    return encryptText(key, keyInfo, { ...context, contactId: '' }, text);
  }

  async function openText(context: Omit<EnvelopeContext, 'contactId'>, envelope: Buffer): Promise<string> {
    const key = await keyring.getKeyById(readEnvelopeHeader(envelope).dataKeyId);
    return decryptText(key, { ...context, contactId: '' }, envelope);
  }

  return { sealText, openText };
}

export type SecretBox = ReturnType<typeof createSecretBox>;
