import { generateKeyPairSync } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Checkpoint } from './checkpoint.js';
import { formatCheckpointText, isValidOrigin, signCheckpoint, verifyCheckpoint } from './checkpoint.js';
import { hashEmptyTree, hashLeaf } from './merkle-tree.js';
import { createNoteSigner, parseNoteVerifierKey, signNote } from './signed-note.js';

const origin = 'rampart.example/audit';
const { privateKey } = generateKeyPairSync('ed25519');
const signer = createNoteSigner({ keyName: origin, privateKey });
const expected = { origin, verifierKey: parseNoteVerifierKey(signer.verifierKey) };
const checkpoint: Checkpoint = { origin, size: 20852163, rootHash: hashLeaf(Buffer.from('root')) };
const note = signCheckpoint(checkpoint, [signer]);

const checkpointArbitrary = fc.record({
  origin: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }).filter(isValidOrigin),
  size: fc.maxSafeNat(),
  rootHash: fc.uint8Array({ minLength: 32, maxLength: 32 }).map((bytes) => Buffer.from(bytes)),
}).map((value) => (value.size === 0 ? { ...value, rootHash: hashEmptyTree() } : value));

describe('checkpoints', () => {
  it('are written in the tlog-checkpoint layout', () => {
    const lines = note.split('\n');
    expect(lines.slice(0, 4)).toEqual([origin, '20852163', checkpoint.rootHash.toString('base64'), '']);
    expect(lines[4]).toMatch(/^\u2014 rampart\.example\/audit [A-Za-z0-9+/]{91}=$/);
    expect(lines.slice(5)).toEqual(['']);
  });

  it('round-trip: any checkpoint signed verifies to the same origin, size and root', () => {
    fc.assert(
      fc.property(checkpointArbitrary, (value) => {
        const signed = signCheckpoint(value, [signer]);
        const verdict = verifyCheckpoint(signed, { origin: value.origin, verifierKey: expected.verifierKey });
        expect(verdict).toEqual({ isValid: true, checkpoint: value });
      }),
      { numRuns: 300 },
    );
  });

  it('fail verification when any single byte of the note is changed to any other value', () => {
    const bytes = Buffer.from(note, 'utf8');
    fc.assert(
      fc.property(fc.nat({ max: bytes.length - 1 }), fc.integer({ min: 1, max: 255 }), (position, delta) => {
        const tampered = Buffer.from(bytes);
        tampered[position] = ((tampered[position] as number) + delta) % 256;
        expect(verifyCheckpoint(tampered, expected).isValid).toBe(false);
      }),
      { numRuns: 2000 },
    );
  });

  it('fail verification when any byte is flipped, dropped or duplicated, at every position', () => {
    const bytes = Buffer.from(note, 'utf8');
    for (let position = 0; position < bytes.length; position += 1) {
      for (const mask of [0x01, 0x20, 0x80]) {
        const flipped = Buffer.from(bytes);
        flipped[position] = (flipped[position] as number) ^ mask;
        expect(verifyCheckpoint(flipped, expected).isValid, `byte ${position} ^ ${mask}`).toBe(false);
      }
      const dropped = Buffer.concat([bytes.subarray(0, position), bytes.subarray(position + 1)]);
      expect(verifyCheckpoint(dropped, expected).isValid, `byte ${position} dropped`).toBe(false);
      const duplicated = Buffer.concat([bytes.subarray(0, position + 1), bytes.subarray(position)]);
      expect(verifyCheckpoint(duplicated, expected).isValid, `byte ${position} duplicated`).toBe(false);
    }
  });

  it('name the part that was changed when the text is re-signed by the right key', () => {
    const resign = (text: string): string => signNote(text, [signer]);
    const root = checkpoint.rootHash.toString('base64');
    expect(verifyCheckpoint(note, { ...expected, origin: 'rampart.example/other' })).toMatchObject({ reason: 'origin-mismatch' });
    expect(verifyCheckpoint(resign(`${origin}\n20852163\n${root}\nextension\n`), expected)).toMatchObject({ reason: 'checkpoint-malformed' });
    expect(verifyCheckpoint(resign(`${origin}\n20852163\n`), expected)).toMatchObject({ reason: 'checkpoint-malformed' });
    expect(verifyCheckpoint(resign(`${origin}\n020852163\n${root}\n`), expected)).toMatchObject({ reason: 'tree-size-malformed' });
    expect(verifyCheckpoint(resign(`${origin}\n+20852163\n${root}\n`), expected)).toMatchObject({ reason: 'tree-size-malformed' });
    expect(verifyCheckpoint(resign(`${origin}\n9007199254740992\n${root}\n`), expected)).toMatchObject({ reason: 'tree-size-malformed' });
    expect(verifyCheckpoint(resign(`${origin}\n20852163\n${root.replace('=', '')}\n`), expected)).toMatchObject({ reason: 'root-hash-malformed' });
    expect(verifyCheckpoint(resign(`${origin}\n20852163\n${Buffer.alloc(31).toString('base64')}\n`), expected)).toMatchObject({ reason: 'root-hash-malformed' });
    expect(verifyCheckpoint(resign(`${origin}\n0\n${root}\n`), expected)).toMatchObject({ reason: 'root-hash-malformed' });
  });

  it('refuse non-canonical base64 for the root even though it decodes to the same bytes', () => {
    const root = checkpoint.rootHash.toString('base64'); // 43 characters + '=': the last carries 2 unused bits
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
    const last = alphabet.indexOf(root.charAt(42));
    const sloppy = `${root.slice(0, 42)}${alphabet.charAt(last ^ 1)}=`;
    expect(Buffer.from(sloppy, 'base64').equals(checkpoint.rootHash)).toBe(true);
    expect(verifyCheckpoint(signNote(`${origin}\n20852163\n${sloppy}\n`, [signer]), expected)).toMatchObject({ reason: 'root-hash-malformed' });
  });

  it('still verify with witness cosignatures beside the log signature, and not with the witness key alone', () => {
    const witness = createNoteSigner({ keyName: 'witness.example/w1', privateKey: generateKeyPairSync('ed25519').privateKey });
    const cosigned = signCheckpoint(checkpoint, [witness, signer]);
    expect(verifyCheckpoint(cosigned, expected)).toEqual({ isValid: true, checkpoint });
    const witnessOnly = signCheckpoint(checkpoint, [witness]);
    expect(verifyCheckpoint(witnessOnly, expected)).toMatchObject({ reason: 'no-signature-from-key' });
  });

  it('do not verify under a different key with the same name', () => {
    const impostor = createNoteSigner({ keyName: origin, privateKey: generateKeyPairSync('ed25519').privateKey });
    expect(verifyCheckpoint(signCheckpoint(checkpoint, [impostor]), expected)).toMatchObject({ reason: 'no-signature-from-key' });
  });

  it('are signed identically from a KeyObject or from its raw seed', () => {
    const seed = Buffer.from(privateKey.export({ format: 'jwk' }).d ?? '', 'base64url');
    expect(seed).toHaveLength(32);
    const fromSeed = createNoteSigner({ keyName: origin, privateKey: seed });
    const keyObject = createNoteSigner({ keyName: origin, privateKey });
    expect(keyObject.verifierKey).toBe(fromSeed.verifierKey);
    expect(signCheckpoint(checkpoint, [keyObject])).toBe(signCheckpoint(checkpoint, [fromSeed]));
  });

  it('refuse to format what could not be verified', () => {
    expect(() => formatCheckpointText({ ...checkpoint, origin: 'has space' })).toThrow(RangeError);
    expect(() => formatCheckpointText({ ...checkpoint, origin: '' })).toThrow(RangeError);
    expect(() => formatCheckpointText({ ...checkpoint, size: -1 })).toThrow(RangeError);
    expect(() => formatCheckpointText({ ...checkpoint, size: 2 ** 53 })).toThrow(RangeError);
    expect(() => formatCheckpointText({ ...checkpoint, rootHash: Buffer.alloc(31) })).toThrow(RangeError);
    expect(() => formatCheckpointText({ ...checkpoint, size: 0 })).toThrow(RangeError);
    expect(formatCheckpointText({ origin, size: 0, rootHash: hashEmptyTree() })).toBe(`${origin}\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n`);
  });
});
