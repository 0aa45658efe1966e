import { describe, expect, it } from 'vitest';
import {
  decryptField,
  decryptJson,
  decryptText,
  encryptField,
  encryptJson,
  encryptText,
  readEnvelopeHeader,
} from './envelope.js';
import type { EnvelopeContext, EnvelopeKeyInfo } from './envelope.js';
import { randomBytes } from './primitives.js';

const dataKey = randomBytes(32);
const keyInfo: EnvelopeKeyInfo = { kekProvider: 'local', kekId: 'kr_0123', kekVersion: 7, dataKeyId: 'dk-42' };
const context: EnvelopeContext = { table: 'messages', column: 'body_enc', rowId: 'row-1', contactId: 'contact-1' };

function expectDecryptFailed(action: () => unknown): void {
  expect(action).toThrow(expect.objectContaining({ name: 'AppError', code: 'DECRYPT_FAILED' }));
}

describe('field envelope', () => {
  it('round-trips bytes, text and JSON', () => {
    const bytes = randomBytes(100);
    expect(decryptField(dataKey, context, encryptField(dataKey, keyInfo, context, bytes))).toEqual(bytes);
    expect(decryptField(dataKey, context, encryptField(dataKey, keyInfo, context, Buffer.alloc(0)))).toEqual(
      Buffer.alloc(0),
    );
    const text = 'Olá 👋 — الطلب رقم 5';
    expect(decryptText(dataKey, context, encryptText(dataKey, keyInfo, context, text))).toBe(text);
    const value = { name: 'Ana', tags: ['vip'], count: 3, nested: { isOk: true, nothing: null } };
    expect(decryptJson(dataKey, context, encryptJson(dataKey, keyInfo, context, value))).toEqual(value);
  });

  it('lays out magic, version, suite, key info, message id, commitment, nonce, ciphertext and tag', () => {
    const plaintext = Buffer.from('twelve bytes');
    const envelope = encryptField(dataKey, keyInfo, context, plaintext);
    let offset = 0;
    const take = (length: number): Buffer => envelope.subarray(offset, (offset += length));
    expect(take(2).toString('ascii')).toBe('RM');
    expect([...take(2)]).toEqual([1, 1]);
    expect(take(take(1)[0] ?? 0).toString('ascii')).toBe('local');
    expect(take(take(1)[0] ?? 0).toString('ascii')).toBe('kr_0123');
    expect(take(4).readUInt32BE(0)).toBe(7);
    expect(take(take(1)[0] ?? 0).toString('ascii')).toBe('dk-42');
    const messageId = take(32);
    take(32 + 12);
    expect(envelope.length - offset).toBe(plaintext.length + 16);
    expect(readEnvelopeHeader(envelope)).toEqual({
      formatVersion: 1,
      suiteId: 1,
      ...keyInfo,
      messageId,
    });
  });

  it('uses a fresh message id and nonce for every encryption', () => {
    const first = encryptField(dataKey, keyInfo, context, Buffer.from('same'));
    const second = encryptField(dataKey, keyInfo, context, Buffer.from('same'));
    expect(first.equals(second)).toBe(false);
    expect(readEnvelopeHeader(first).messageId.equals(readEnvelopeHeader(second).messageId)).toBe(false);
  });

  it('still opens an envelope written by format version 1 (frozen vector)', () => {
    const frozenKey = Buffer.from('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f', 'hex');
    const frozenContext = { table: 'messages', column: 'body_enc', rowId: 'msg-1', contactId: 'contact-1' };
    const frozen = Buffer.from(
      '524d0101056c6f63616c236b725f30303131323233333434353536363737383839396161626263636464656566660000000104646b' +
        '2d31ca62b9309dec0ff9787d9b004e27f6f865293679dffae24ad60a4fa63e9348e2bf0be2ccfaadeaaf902453608a8d39eb148ef2' +
        'c56486c9a0101eb16183c8657a4aeec2cb268aa960aab02f2aac4c8cd453f32957a7e54affff209b080b27371e15f97ef951fbd568' +
        '10',
      'hex',
    );
    expect(decryptText(frozenKey, frozenContext, frozen)).toBe('Olá, Rampart');
    expect(readEnvelopeHeader(frozen)).toMatchObject({
      kekProvider: 'local',
      kekId: 'kr_00112233445566778899aabbccddeeff',
      kekVersion: 1,
      dataKeyId: 'dk-1',
    });
  });

  it('binds system-owned data (contactId "") and refuses to bind to an empty table, column or row', () => {
    const system = { ...context, contactId: '' };
    expect(decryptText(dataKey, system, encryptText(dataKey, keyInfo, system, 'x'))).toBe('x');
    for (const field of ['table', 'column', 'rowId'] as const) {
      expect(() => encryptText(dataKey, keyInfo, { ...context, [field]: '' }, 'x')).toThrow(RangeError);
    }
  });

  it('refuses unusable keys and key metadata when encrypting', () => {
    expect(() => encryptText(randomBytes(16), keyInfo, context, 'x')).toThrow(RangeError);
    expect(() => encryptText(Buffer.alloc(32), keyInfo, context, 'x')).toThrow(RangeError);
    expect(() => encryptText(dataKey, { ...keyInfo, dataKeyId: 'd'.repeat(65) }, context, 'x')).toThrow(RangeError);
    expect(() => encryptText(dataKey, { ...keyInfo, kekId: 'has space' }, context, 'x')).toThrow(RangeError);
    expect(() => encryptText(dataKey, { ...keyInfo, kekProvider: '' }, context, 'x')).toThrow(RangeError);
    expect(() => encryptText(dataKey, { ...keyInfo, kekVersion: -1 }, context, 'x')).toThrow(RangeError);
    expect(() => encryptText(dataKey, { ...keyInfo, kekVersion: 1.5 }, context, 'x')).toThrow(RangeError);
    expect(() => encryptText(dataKey, keyInfo, { ...context, rowId: 'r'.repeat(65_536) }, 'x')).toThrow(RangeError);
    expect(encryptText(dataKey, keyInfo, { ...context, rowId: 'r'.repeat(65_535) }, 'x').length).toBeGreaterThan(0);
    expect(() => encryptJson(dataKey, keyInfo, context, undefined)).toThrow(RangeError);
  });

  it('reports unknown versions and suites, and decrypts under an all-zero key never', () => {
    const envelope = encryptText(dataKey, keyInfo, context, 'x');
    const newerVersion = Buffer.from(envelope);
    newerVersion[2] = 2;
    expect(() => readEnvelopeHeader(newerVersion)).toThrow(/format version 2/);
    const otherSuite = Buffer.from(envelope);
    otherSuite[3] = 9;
    expect(() => readEnvelopeHeader(otherSuite)).toThrow(/suite 9/);
    expectDecryptFailed(() => readEnvelopeHeader(Buffer.from('not an envelope')));
    expectDecryptFailed(() => readEnvelopeHeader(Buffer.alloc(0)));
    expectDecryptFailed(() => decryptField(Buffer.alloc(32), context, envelope));
  });

  it('reports JSON that does not parse without quoting it', () => {
    const envelope = encryptText(dataKey, keyInfo, context, 'secret-not-json');
    expect(() => decryptJson(dataKey, context, envelope)).toThrow(
      expect.objectContaining({ code: 'DECRYPT_FAILED', message: expect.not.stringContaining('secret') }),
    );
  });
});
