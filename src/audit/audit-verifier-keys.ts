/**
 * Which keys the verification trusts, and the key checks on each checkpoint. The trusted set is
 * the keys the caller pinned (`--verifier-key`, repeated once per version) or, failing that, every
 * key `audit_signing_keys` lists (which a database writer could replace). A checkpoint is checked
 * under the trusted key its note's signature line names (C2SP: key name and key hash); the key
 * table is then held to it: the row must name the same version, and a version retired at tree
 * size R signs only checkpoints smaller than R.
 */
import type { StoredCheckpoint } from './audit-repository.js';
import type { SigningKeyRecord } from './audit-signing-keys.js';
import type { AuditFinding, TrustedKeys } from './audit-verdict.js';
import { verifyCheckpoint } from './checkpoint.js';
import type { Checkpoint } from './checkpoint.js';
import type { NoteVerifierKey } from './signed-note.js';
import { parseNoteVerifierKey, readSignedNote } from './signed-note.js';

export interface KnownKey {
  /** The verifier key text, as given or stored: what identifies the key in the walk. */
  readonly text: string;
  readonly key: NoteVerifierKey;
  /** The database's row for this key, when it lists it. */
  readonly stored: SigningKeyRecord | null;
}

export interface OpenedCheckpoint {
  readonly checkpoint: Checkpoint;
  readonly signedBy: KnownKey;
}

export interface KeyTrust {
  readonly description: TrustedKeys | null;
  /** Opens a checkpoint under the trusted key it names, or says what is wrong with it. */
  open(row: StoredCheckpoint): OpenedCheckpoint | AuditFinding;
  /** After the walk: the key the database publishes as current must be one the verifier trusts. */
  checkPublishedKeys(headVerifierKey: string | null): AuditFinding | null;
  /** How a finding names a key: its version in the database when it has one. */
  describe(key: KnownKey): string;
}

/** `given` must already be validated (parseNoteVerifierKey throws on a malformed one: a usage error). */
export function createKeyTrust({ given, stored }: { given: readonly string[] | undefined; stored: readonly SigningKeyRecord[] }): KeyTrust {
  const storedKeys = stored.flatMap((record) => {
    const key = tryParse(record.verifierKey);
    return key ? [{ text: record.verifierKey as string, key, stored: record }] : [];
  });
  const findStored = (key: NoteVerifierKey): SigningKeyRecord | null => storedKeys.find((known) => isSameKey(known.key, key))?.stored ?? null;
  const trusted: KnownKey[] = given ? given.map((text) => ({ text, key: parseNoteVerifierKey(text), stored: findStored(parseNoteVerifierKey(text)) })) : storedKeys;
  const source = given ? 'given' : 'database';
  const description: TrustedKeys | null = trusted.length === 0 ? null : { verifierKeys: trusted.map((known) => known.text), source };
  const problem = given ? 'no verifier key was given' : stored.length === 0 ? 'no verifier key is stored and none was given' : 'the verifier keys stored in the database are malformed';

  function describe(known: KnownKey): string {
    return known.stored ? `key version ${known.stored.version} (${keyLabel(known.key)})` : keyLabel(known.key);
  }

  function open(row: StoredCheckpoint): OpenedCheckpoint | AuditFinding {
    const at = { sequence: null, checkpointSize: row.treeSize };
    if (trusted.length === 0) return { reason: 'no-verifier-key', ...at, detail: `checkpoint ${row.treeSize} cannot be checked: ${problem}` };
    const framed = readSignedNote(row.note);
    if (!framed.isValid) return { reason: 'checkpoint-invalid', ...at, detail: `checkpoint ${row.treeSize}: ${framed.reason}: ${framed.detail}` };
    const named = trusted.filter((known) => framed.signatures.some((line) => line.keyName === known.key.name && line.keyId.equals(known.key.keyId)));
    if (named.length === 0) return { reason: 'checkpoint-key-untrusted', ...at, detail: describeUntrusted(row, framed.signatures) };
    const signedBy = named.find((known) => known.stored?.version === row.signingKeyVersion) ?? (named[0] as KnownKey);
    const verdict = verifyCheckpoint(row.note, { origin: signedBy.key.name, verifierKey: signedBy.key });
    if (!verdict.isValid) return { reason: 'checkpoint-invalid', ...at, detail: `checkpoint ${row.treeSize}: ${verdict.reason}: ${verdict.detail}` };
    if (signedBy.stored === null || signedBy.stored.version !== row.signingKeyVersion) {
      return {
        reason: 'checkpoint-row-mismatch',
        ...at,
        detail: `checkpoint row ${row.treeSize} names signing key version ${row.signingKeyVersion ?? 'none'}, but its note is signed by ${describe(signedBy)}${signedBy.stored ? '' : ', which the database does not list'}`,
      };
    }
    const retiredAt = signedBy.stored.retiredAtTreeSize;
    if (retiredAt !== null && row.treeSize >= retiredAt) {
      return {
        reason: 'checkpoint-key-retired',
        ...at,
        detail: `checkpoint ${row.treeSize} is signed by ${describe(signedBy)}, which was retired when its successor signed tree size ${retiredAt}: a retired key signs nothing after its rotation`,
      };
    }
    return { checkpoint: verdict.checkpoint, signedBy };
  }

  function describeUntrusted(row: StoredCheckpoint, lines: readonly { keyName: string; keyId: Buffer }[]): string {
    const names = [...new Set(lines.map((line) => `${line.keyName}+${line.keyId.toString('hex')}`))].map((name) => {
      const listed = storedKeys.find((known) => `${known.key.name}+${known.key.keyId.toString('hex')}` === name);
      if (!given) return `${name}, which the database does not list as a signing key`;
      return listed ? `${name} (signing key version ${listed.stored.version} in the database), which was not given with --verifier-key` : `${name}, which was neither given nor is listed in the database`;
    });
    return `checkpoint ${row.treeSize} is signed by no trusted key: by ${names.join('; ')}`;
  }

  function checkPublishedKeys(headVerifierKey: string | null): AuditFinding | null {
    const current = stored.find((record) => record.retiredAt === null) ?? null;
    const replaced = (detail: string): AuditFinding => ({ reason: 'verifier-key-replaced', sequence: null, detail });
    if (given) {
      const isTrusted = (text: string | null) => text === null || trusted.some((known) => isSameKey(known.key, tryParse(text)));
      if (!isTrusted(headVerifierKey)) return replaced('the verifier key the database publishes is not among the keys given: it was replaced, or the signing key was rotated after you pinned yours');
      if (current && !isTrusted(current.verifierKey)) {
        return replaced(`the database's current signing key (version ${current.version}) is not among the keys given: it was replaced, or rotated after you pinned yours`);
      }
      return null;
    }
    if (current && current.verifierKey !== null && headVerifierKey !== null && current.verifierKey !== headVerifierKey) {
      return replaced(`the verifier key the database publishes differs from its current signing key (version ${current.version}): one of them was replaced`);
    }
    return null;
  }

  return { description, open, checkPublishedKeys, describe };
}

function tryParse(text: string | null): NoteVerifierKey | null {
  if (text === null) return null;
  try {
    return parseNoteVerifierKey(text);
  } catch {
    return null;
  }
}

function isSameKey(a: NoteVerifierKey, b: NoteVerifierKey | null): boolean {
  return b !== null && a.name === b.name && a.publicKey.equals(b.publicKey);
}

function keyLabel(key: NoteVerifierKey): string {
  return `${key.name}+${key.keyId.toString('hex')}`;
}
