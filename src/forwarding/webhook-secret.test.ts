import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { Secret } from '../config/secret.js';
import { isAppError } from '../errors.js';
import { describeWebhookSecretProblem, generateWebhookSecret, parseWebhookSecret } from './webhook-secret.js';
import { signWebhookPayload } from './webhook-signature.js';

function secretOfLength(bytes: number): string {
  return `whsec_${Buffer.alloc(bytes, 0xa5).toString('base64')}`;
}

const base64Alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

function setLowestBit(character: string): string {
  return base64Alphabet[base64Alphabet.indexOf(character) | 1] ?? '';
}

function parseProblem(text: string): string {
  try {
    parseWebhookSecret(new Secret(text));
  } catch (error) {
    if (isAppError(error) && error.code === 'CONFIG_INVALID') return error.message;
    throw error;
  }
  throw new Error('accepted');
}

describe('generateWebhookSecret', () => {
  it('makes whsec_ secrets of 32 random bytes, different every time', () => {
    const secrets = Array.from({ length: 20 }, () => generateWebhookSecret().reveal());
    expect(new Set(secrets).size).toBe(20);
    for (const secret of secrets) {
      expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
      expect(parseWebhookSecret(new Secret(secret))).toHaveLength(32);
    }
  });

  it('prints as [redacted] when logged or serialised', () => {
    const secret = generateWebhookSecret();
    expect(String(secret)).toBe('[redacted]');
    expect(JSON.stringify({ secret })).not.toContain(secret.reveal().slice(6));
  });

  it('yields the key the standardwebhooks reference library derives from the same secret', () => {
    const secret = generateWebhookSecret();
    const body = Buffer.from('{"type":"message.received"}');
    const ours = signWebhookPayload(parseWebhookSecret(secret), { messageId: 'evt_1', timestampSeconds: 1_700_000_000, body });
    expect(ours).toBe(new Webhook(secret.reveal()).sign('evt_1', new Date(1_700_000_000_000), body.toString()));
  });
});

describe('parseWebhookSecret', () => {
  it('accepts keys of 24 to 64 bytes and refuses 23 and 65', () => {
    expect(parseWebhookSecret(new Secret(secretOfLength(24)))).toHaveLength(24);
    expect(parseWebhookSecret(new Secret(secretOfLength(64)))).toHaveLength(64);
    expect(parseProblem(secretOfLength(23))).toContain('23 bytes');
    expect(parseProblem(secretOfLength(65))).toContain('65 bytes');
  });

  it('refuses secrets without the whsec_ prefix, empty ones, and anything but canonical padded base64', () => {
    const key = Buffer.alloc(32, 0xfb).toString('base64');
    const malformed = {
      'no prefix': key,
      'other prefix': `wh_${key}`,
      'prefix only': 'whsec_',
      'URL-safe alphabet': `whsec_${key.replace(/\+/g, '-').replace(/\//g, '_')}`,
      unpadded: `whsec_${key.replace(/=+$/, '')}`,
      'inner whitespace': `whsec_${key.slice(0, 10)} ${key.slice(10)}`,
      'trailing newline': `whsec_${key}\n`,
      // Setting a padding bit gives another spelling of the same bytes in Node; only the canonical one passes.
      'non-canonical last character': `whsec_${key.slice(0, -2)}${setLowestBit(key.at(-2) ?? '')}=`,
    };
    for (const [label, text] of Object.entries(malformed)) {
      expect(describeWebhookSecretProblem(text), label).not.toBeNull();
      expect(() => parseWebhookSecret(new Secret(text)), label).toThrow();
    }
  });

  it('never quotes the secret in its error', () => {
    const almost = `whsec_${Buffer.alloc(20, 0x5c).toString('base64')}`;
    const message = parseProblem(almost);
    expect(message).toContain('20 bytes');
    expect(message).not.toContain(almost.slice(6, 20));
    expect(parseProblem('whsec_!!notbase64!!')).not.toContain('notbase64');
  });
});
