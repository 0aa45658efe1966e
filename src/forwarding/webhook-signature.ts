import { hmacSha256 } from '../crypto/primitives.js';

/** The three headers of the Standard Webhooks convention, lower-case as Node sends them. */
export interface WebhookHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

export interface WebhookSignatureInput {
  /** Stable across retries of one event, so receivers can drop duplicates. */
  messageId: string;
  /** Whole seconds since the epoch, of this attempt (receivers refuse stale ones). */
  timestampSeconds: number;
  /** The exact bytes sent; receivers verify these bytes, never a re-serialisation. */
  body: Buffer;
}

/** `v1,<base64 HMAC-SHA256(key, "${id}.${timestamp}.${body}")>`. */
export function signWebhookPayload(key: Buffer, input: WebhookSignatureInput): string {
  if (!Number.isSafeInteger(input.timestampSeconds) || input.timestampSeconds < 0) {
    throw new RangeError('webhook timestamp must be whole seconds since the epoch');
  }
  const signedContent = Buffer.concat([Buffer.from(`${input.messageId}.${input.timestampSeconds}.`, 'utf8'), input.body]);
  return `v1,${hmacSha256(key, signedContent).toString('base64')}`;
}

/**
 * One signature per active key, space-separated: during a rotation the old and the new secret
 * both sign, so a receiver holding either one verifies.
 */
export function createWebhookHeaders(keys: readonly Buffer[], input: WebhookSignatureInput): WebhookHeaders {
  if (keys.length === 0) throw new RangeError('at least one signing key is required');
  return {
    'webhook-id': input.messageId,
    'webhook-timestamp': String(input.timestampSeconds),
    'webhook-signature': keys.map((key) => signWebhookPayload(key, input)).join(' '),
  };
}
