import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { NoteSigner } from './signed-note.js';
import { createNoteSigner, formatNoteVerifierKey, MAX_NOTE_SIGNATURES, openSignedNote, parseNoteVerifierKey, signNote } from './signed-note.js';

/**
 * The example key and note of the reference implementation (golang.org/x/mod/sumdb/note,
 * note_test.go). Ed25519 is deterministic, so matching it byte for byte means Go-based witnesses
 * and verifiers read our notes and we read theirs.
 */
const goVerifierKey = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';
const goSeed = Buffer.from('AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz', 'base64').subarray(1); // drops the 0x01 type byte
const goText = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
const goNote = `${goText}\n\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n`;

function createRandomSigner(keyName: string): NoteSigner {
  return createNoteSigner({ keyName, privateKey: generateKeyPairSync('ed25519').privateKey });
}

describe('signed notes: interoperability with the reference implementation', () => {
  it('derives the reference verifier key (name, key id, key data) from the reference seed', () => {
    const signer = createNoteSigner({ keyName: 'PeterNeumann', privateKey: goSeed });
    expect(signer.keyId).toBe('c74f20a3');
    expect(signer.verifierKey).toBe(goVerifierKey);
    expect(formatNoteVerifierKey('PeterNeumann', signer.publicKey)).toBe(goVerifierKey);
  });

  it('signs the reference text into the reference note byte for byte', () => {
    const signer = createNoteSigner({ keyName: 'PeterNeumann', privateKey: goSeed });
    expect(signNote(goText, [signer])).toBe(goNote);
  });

  it('opens the reference note, from a string or from its bytes', () => {
    const key = parseNoteVerifierKey(goVerifierKey);
    expect(openSignedNote(goNote, key)).toEqual({ isValid: true, text: goText });
    expect(openSignedNote(Buffer.from(goNote, 'utf8'), key)).toEqual({ isValid: true, text: goText });
    expect(openSignedNote(goNote.replace('cryptography', 'cryptographY'), key)).toMatchObject({ reason: 'signature-invalid' });
  });
});

describe('verifier keys', () => {
  it('refuses every proper substring of a valid key and every single-byte increment of it', () => {
    // The same manglings the reference implementation's test tries.
    expect(() => parseNoteVerifierKey(goVerifierKey)).not.toThrow();
    for (let start = 0; start < goVerifierKey.length; start += 1) {
      for (let end = start + 1; end <= goVerifierKey.length; end += 1) {
        if (start === 0 && end === goVerifierKey.length) continue;
        expect(() => parseNoteVerifierKey(goVerifierKey.slice(start, end)), goVerifierKey.slice(start, end)).toThrow(RangeError);
      }
    }
    for (let position = 0; position < goVerifierKey.length; position += 1) {
      const mangled = goVerifierKey.slice(0, position) + String.fromCharCode(goVerifierKey.charCodeAt(position) + 1) + goVerifierKey.slice(position + 1);
      expect(() => parseNoteVerifierKey(mangled), mangled).toThrow(RangeError);
    }
  });

  it('refuses upper-case key ids, other signature types and names with spaces or plus signs', () => {
    expect(() => parseNoteVerifierKey('PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW')).toThrow(/lowercase hex/);
    const signer = createRandomSigner('example.com/log');
    const otherType = `example.com/log+${signer.keyId}+${Buffer.concat([Uint8Array.of(0x02), signer.publicKey]).toString('base64')}`;
    expect(() => parseNoteVerifierKey(otherType)).toThrow(/0x01/);
    expect(() => createRandomSigner('a name')).toThrow(RangeError);
    expect(() => createRandomSigner('a+b')).toThrow(RangeError);
    expect(() => createRandomSigner('')).toThrow(RangeError);
    expect(() => createRandomSigner('tab\there')).toThrow(RangeError);
    expect(() => createRandomSigner('next\u0085line')).toThrow(RangeError); // a space to Go, not to JS's \s
  });
});

describe('opening signed notes', () => {
  const signer = createRandomSigner('example.com/log');
  const key = parseNoteVerifierKey(signer.verifierKey);
  const text = 'hello\n\nworld\n';
  const note = signNote(text, [signer]);

  it('returns the text, which may itself contain blank lines', () => {
    expect(openSignedNote(note, key)).toEqual({ isValid: true, text });
  });

  it('ignores well-formed signatures by other keys, including same-name or same-id impostors', () => {
    const witness = createRandomSigner('witness.example/w1');
    const sameName = createRandomSigner('example.com/log');
    const sameIdLine = `\u2014 other.example ${Buffer.concat([key.keyId, Buffer.alloc(64, 7)]).toString('base64')}\n`;
    const crowded = `${text}\n${witness.createSignatureLine(text)}${sameName.createSignatureLine(text)}${sameIdLine}${signer.createSignatureLine(text)}`;
    expect(openSignedNote(crowded, key)).toEqual({ isValid: true, text });
  });

  it('refuses a note whose only signatures are from other keys', () => {
    const other = signNote(text, [createRandomSigner('example.com/log')]);
    expect(openSignedNote(other, key)).toMatchObject({ isValid: false, reason: 'no-signature-from-key' });
  });

  it('refuses a note where the required key signed twice, even validly', () => {
    expect(openSignedNote(`${note}${signer.createSignatureLine(text)}`, key)).toMatchObject({ reason: 'duplicate-signature' });
  });

  it('refuses a note where a line with the required name and id carries a bad signature', () => {
    const forged = `\u2014 example.com/log ${Buffer.concat([key.keyId, Buffer.alloc(64)]).toString('base64')}\n`;
    expect(openSignedNote(`${text}\n${forged}`, key)).toMatchObject({ reason: 'signature-invalid' });
    // A valid signature after it does not rescue the note: a known key's failure rejects it whole.
    expect(openSignedNote(`${text}\n${forged}${signer.createSignatureLine(text)}`, key)).toMatchObject({ reason: 'signature-invalid' });
    const short = `\u2014 example.com/log ${Buffer.concat([key.keyId, Buffer.alloc(63)]).toString('base64')}\n`;
    expect(openSignedNote(`${text}\n${short}`, key)).toMatchObject({ reason: 'signature-invalid' });
  });

  it.each([
    ['a missing final newline', (value: string) => value.slice(0, -1), 'note-malformed'],
    ['no blank line', () => `hello\n${signer.createSignatureLine('hello\n')}`, 'note-malformed'],
    ['no signature lines', () => `${text}\n`, 'note-malformed'],
    ['a carriage return', (value: string) => value.replace('hello\n', 'hello\r\n'), 'note-has-control-characters'],
    ['a NUL byte', (value: string) => value.replace('hello', 'hel\u0000lo'), 'note-has-control-characters'],
    ['a lone surrogate', (value: string) => value.replace('hello', 'hel\ud800lo'), 'note-not-text'],
    ['a hyphen for the em dash', (value: string) => value.replace('\u2014', '-'), 'signature-line-malformed'],
    ['two spaces after the name', (value: string) => value.replace('example.com/log ', 'example.com/log  '), 'signature-line-malformed'],
    ['a signature of 4 bytes', () => `${text}\n\u2014 example.com/log ${key.keyId.toString('base64')}\n`, 'signature-line-malformed'],
    ['unpadded base64', (value: string) => value.replace(/=\n$/, '\n'), 'signature-line-malformed'],
    // The last blank line separates, so the earlier signature line becomes text the key never signed.
    ['a blank line among the signatures', (value: string) => `${value}\n${signer.createSignatureLine(text)}`, 'signature-invalid'],
  ] as const)('refuses %s', (_, mangle, reason) => {
    expect(openSignedNote(mangle(note), key)).toMatchObject({ isValid: false, reason });
  });

  it('refuses invalid UTF-8 bytes', () => {
    const bytes = Buffer.from(note, 'utf8');
    bytes[1] = 0xc3; // starts a two-byte sequence that the next ASCII byte cannot continue
    expect(openSignedNote(bytes, key)).toMatchObject({ reason: 'note-not-text' });
  });

  it(`accepts up to ${MAX_NOTE_SIGNATURES} signature lines and refuses more`, () => {
    const filler = createRandomSigner('witness.example/filler').createSignatureLine(text);
    const atLimit = `${note}${filler.repeat(MAX_NOTE_SIGNATURES - 1)}`;
    expect(openSignedNote(atLimit, key).isValid).toBe(true);
    expect(openSignedNote(`${atLimit}${filler}`, key)).toMatchObject({ reason: 'too-many-signatures' });
  });

  it('refuses to sign text that could not be opened again', () => {
    expect(() => signNote('no newline', [signer])).toThrow(RangeError);
    expect(() => signNote('', [signer])).toThrow(RangeError);
    expect(() => signNote('a\rb\n', [signer])).toThrow(RangeError);
    expect(() => signNote('ok\n', [])).toThrow(RangeError);
  });
});
