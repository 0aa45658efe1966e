/**
 * C2SP signed-note (c2sp.org/signed-note) with Ed25519 signatures (type 0x01): the envelope a
 * checkpoint travels in, so any witness or verifier that speaks the format can check ours.
 *
 *   <text ending in \n>
 *   <blank line>
 *   — <key name> base64(4-byte key id ‖ 64-byte signature)      (one line per signature)
 *
 * Verifying never throws on untrusted input; it returns a verdict. Malformed configuration (a
 * verifier key string, a key name) is a caller bug and throws RangeError.
 */
import { createHash, KeyObject } from 'node:crypto';
import { createEd25519PrivateKey, ED25519_PUBLIC_KEY_LENGTH, readEd25519PublicKey, signEd25519, verifyEd25519Signature } from './ed25519.js';

export const ED25519_NOTE_SIGNATURE_TYPE = 0x01;
/** The spec asks verifiers to accept at least 16 signatures; witnesses add one each. */
export const MAX_NOTE_SIGNATURES = 100;
export const MAX_NOTE_BYTES = 256 * 1024;

const KEY_ID_LENGTH = 4;
// JS \s lacks U+0085 (NEL), which Go's unicode.IsSpace, and so the reference implementation, counts as a space.
const SIGNATURE_LINE = /^\u2014 ([^\s\u0085+]+) ([A-Za-z0-9+/]+={0,2})$/u;
// Every C0 control character except newline; the spec forbids them anywhere in a note.
const CONTROL_CHARACTER = /[\u0000-\u0009\u000b-\u001f]/u;

export interface NoteVerifierKey {
  readonly name: string;
  readonly keyId: Buffer;
  readonly publicKey: Buffer;
}

export interface NoteSigner {
  readonly keyName: string;
  /** The 4-byte key id as 8 lowercase hex digits, as it appears in the verifier key. */
  readonly keyId: string;
  readonly publicKey: Buffer;
  /** `<name>+<key id hex>+<base64(0x01 ‖ public key)>`: what a witness or auditor is configured with. */
  readonly verifierKey: string;
  /** The signature line for `text` (which must be a valid note text), newline included. */
  createSignatureLine(text: string): string;
}

export type NoteRejectionReason =
  | 'note-too-large'
  /** Not valid UTF-8 (or, for a string, not well-formed UTF-16). */
  | 'note-not-text'
  | 'note-has-control-characters'
  /** No final newline, no blank line before the signatures, or no signature lines. */
  | 'note-malformed'
  | 'signature-line-malformed'
  | 'too-many-signatures'
  /** The required key signed twice; the reference implementation refuses this too. */
  | 'duplicate-signature'
  /** A line names the required key and id but its signature does not verify. */
  | 'signature-invalid'
  | 'no-signature-from-key';

export type NoteVerdict =
  | { readonly isValid: true; readonly text: string }
  | { readonly isValid: false; readonly reason: NoteRejectionReason; readonly detail: string };

/** Key names must be non-empty, with no Unicode spaces, plus signs or control characters. */
export function isValidKeyName(name: string): boolean {
  return name.length > 0 && !/[\s\u0085+]/u.test(name) && !CONTROL_CHARACTER.test(name) && isWellFormedText(name);
}

/** SHA-256(key name ‖ 0x0A ‖ 0x01 ‖ public key)[:4], as the signed-note spec recommends. */
export function computeNoteKeyId(keyName: string, publicKey: Uint8Array): Buffer {
  return createHash('sha256')
    .update(keyName, 'utf8')
    .update(Uint8Array.of(0x0a, ED25519_NOTE_SIGNATURE_TYPE))
    .update(publicKey)
    .digest()
    .subarray(0, KEY_ID_LENGTH);
}

export function formatNoteVerifierKey(keyName: string, publicKey: Uint8Array): string {
  assertKeyName(keyName);
  if (publicKey.length !== ED25519_PUBLIC_KEY_LENGTH) throw new RangeError(`public key must be ${ED25519_PUBLIC_KEY_LENGTH} bytes`);
  const keyData = Buffer.concat([Uint8Array.of(ED25519_NOTE_SIGNATURE_TYPE), publicKey]).toString('base64');
  return `${keyName}+${computeNoteKeyId(keyName, publicKey).toString('hex')}+${keyData}`;
}

/** Parses `<name>+<hex id>+<base64 key>` strictly: canonical base64, Ed25519 type, and an id that matches. */
export function parseNoteVerifierKey(verifierKey: string): NoteVerifierKey {
  // The name cannot hold '+', but base64 can: split at the first two only.
  const [name = '', keyIdHex = '', ...rest] = verifierKey.split('+');
  const keyData = rest.join('+');
  if (!isValidKeyName(name)) throw new RangeError('verifier key: invalid key name');
  if (!/^[0-9a-f]{8}$/.test(keyIdHex)) throw new RangeError('verifier key: key id must be 8 lowercase hex digits');
  const decoded = decodeCanonicalBase64(keyData);
  if (decoded?.length !== 1 + ED25519_PUBLIC_KEY_LENGTH || decoded[0] !== ED25519_NOTE_SIGNATURE_TYPE) {
    throw new RangeError('verifier key: key data must be base64 of 0x01 and a 32-byte Ed25519 public key');
  }
  const publicKey = Buffer.from(decoded.subarray(1));
  const keyId = computeNoteKeyId(name, publicKey);
  if (keyId.toString('hex') !== keyIdHex) throw new RangeError('verifier key: key id does not match the name and key');
  return { name, keyId, publicKey };
}

/** A signer from an Ed25519 private KeyObject or its raw 32-byte seed. */
export function createNoteSigner(options: { keyName: string; privateKey: KeyObject | Uint8Array }): NoteSigner {
  assertKeyName(options.keyName);
  const privateKey = options.privateKey instanceof KeyObject ? options.privateKey : createEd25519PrivateKey(options.privateKey);
  if (privateKey.type !== 'private') throw new TypeError('a note signer needs a private key');
  const keyName = options.keyName;
  const publicKey = readEd25519PublicKey(privateKey);
  const keyId = computeNoteKeyId(keyName, publicKey);
  return {
    keyName,
    keyId: keyId.toString('hex'),
    publicKey,
    verifierKey: formatNoteVerifierKey(keyName, publicKey),
    createSignatureLine(text) {
      assertNoteText(text);
      const signature = signEd25519(privateKey, Buffer.from(text, 'utf8'));
      return `\u2014 ${keyName} ${Buffer.concat([keyId, signature]).toString('base64')}\n`;
    },
  };
}

/** The signed note: text, blank line, one signature line per signer. */
export function signNote(text: string, signers: readonly NoteSigner[]): string {
  if (signers.length === 0) throw new RangeError('a signed note needs at least one signer');
  assertNoteText(text);
  return `${text}\n${signers.map((signer) => signer.createSignatureLine(text)).join('')}`;
}

/** One signature line, as written: the key it names and the signature, not yet checked. */
export interface NoteSignatureLine {
  readonly keyName: string;
  /** The 4-byte key id (the C2SP key hash). */
  readonly keyId: Buffer;
  readonly signature: Buffer;
}

export type NoteFraming =
  | { readonly isValid: true; readonly text: string; readonly signatures: readonly NoteSignatureLine[] }
  | { readonly isValid: false; readonly reason: NoteRejectionReason; readonly detail: string };

/**
 * Checks the note's framing and splits it into its text and its signature lines, checking no
 * signature: how a verifier holding several keys learns which ones a note names.
 */
export function readSignedNote(note: string | Uint8Array): NoteFraming {
  const decoded = decodeNoteText(note);
  if (!decoded.isValid) return reject(decoded.reason, decoded.detail);
  const content = decoded.text;
  if (CONTROL_CHARACTER.test(content)) return reject('note-has-control-characters', 'notes may contain no control character but newline');
  if (!content.endsWith('\n')) return reject('note-malformed', 'a note ends with a newline');
  const separator = content.lastIndexOf('\n\n');
  if (separator === -1) return reject('note-malformed', 'no blank line before the signatures');
  const text = content.slice(0, separator + 1);
  const lines = content.slice(separator + 2, -1).split('\n');
  if (lines.length === 1 && lines[0] === '') return reject('note-malformed', 'no signature lines');
  if (lines.length > MAX_NOTE_SIGNATURES) return reject('too-many-signatures', `more than ${MAX_NOTE_SIGNATURES} signatures`);
  const signatures: NoteSignatureLine[] = [];
  for (const [position, line] of lines.entries()) {
    const match = SIGNATURE_LINE.exec(line);
    const signature = match === null ? undefined : decodeCanonicalBase64(match[2] as string);
    if (match === null || signature === undefined || signature.length <= KEY_ID_LENGTH) {
      return reject('signature-line-malformed', `signature line ${position + 1} is malformed`);
    }
    signatures.push({ keyName: match[1] as string, keyId: signature.subarray(0, KEY_ID_LENGTH), signature: signature.subarray(KEY_ID_LENGTH) });
  }
  return { isValid: true, text, signatures };
}

/**
 * Checks the note's framing and the required key's signature, and only then returns its text.
 * Lines from other keys (witness cosignatures, a rotated key) are ignored, as the spec requires,
 * but must still be well-formed.
 */
export function openSignedNote(note: string | Uint8Array, key: NoteVerifierKey): NoteVerdict {
  const framed = readSignedNote(note);
  if (!framed.isValid) return framed;
  const message = Buffer.from(framed.text, 'utf8');
  let hasVerified = false;
  for (const line of framed.signatures) {
    const isRequiredKey = line.keyName === key.name && line.keyId.equals(key.keyId);
    if (!isRequiredKey) continue;
    if (hasVerified) return reject('duplicate-signature', `key ${key.name} signed more than once`);
    if (!verifyEd25519Signature(key.publicKey, message, line.signature)) {
      return reject('signature-invalid', `signature by ${key.name} does not verify`);
    }
    hasVerified = true;
  }
  return hasVerified ? { isValid: true, text: framed.text } : reject('no-signature-from-key', `no signature by ${key.name}`);
}

function decodeNoteText(note: string | Uint8Array): NoteVerdict {
  if (typeof note === 'string') {
    if (Buffer.byteLength(note, 'utf8') > MAX_NOTE_BYTES) return reject('note-too-large', `notes are at most ${MAX_NOTE_BYTES} bytes`);
    return isWellFormedText(note) ? { isValid: true, text: note } : reject('note-not-text', 'note is not well-formed Unicode');
  }
  if (note.length > MAX_NOTE_BYTES) return reject('note-too-large', `notes are at most ${MAX_NOTE_BYTES} bytes`);
  try {
    // fatal: invalid UTF-8 throws instead of becoming U+FFFD; ignoreBOM: a BOM stays in the signed text.
    return { isValid: true, text: new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(note) };
  } catch {
    return reject('note-not-text', 'note is not valid UTF-8');
  }
}

function assertNoteText(text: string): void {
  if (text.length === 0 || !text.endsWith('\n')) throw new RangeError('note text must be non-empty and end with a newline');
  if (CONTROL_CHARACTER.test(text)) throw new RangeError('note text may contain no control character but newline');
  if (!isWellFormedText(text)) throw new RangeError('note text must be well-formed Unicode');
}

function assertKeyName(keyName: string): void {
  if (!isValidKeyName(keyName)) throw new RangeError('key name must be non-empty, without spaces, plus signs or control characters');
}

/** Base64 (RFC 4648 §4) that re-encodes to itself, so no two strings decode to the same bytes. */
export function decodeCanonicalBase64(text: string): Buffer | undefined {
  if (text.length === 0 || text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return undefined;
  const decoded = Buffer.from(text, 'base64');
  return decoded.toString('base64') === text ? decoded : undefined;
}

/** A lone surrogate would be encoded as U+FFFD, so the signed bytes would differ from the string. */
function isWellFormedText(text: string): boolean {
  return Buffer.from(text, 'utf8').toString('utf8') === text;
}

type NoteRejection = { readonly isValid: false; readonly reason: NoteRejectionReason; readonly detail: string };

function reject(reason: NoteRejectionReason, detail: string): NoteRejection {
  return { isValid: false, reason, detail };
}
