/**
 * The canonical byte encoding of an audit record: the Merkle leaf. Deterministic (one record, one
 * encoding) and injective (two records never share bytes): fixed field order, a length before every
 * variable field, a presence byte before every optional one, and a version byte first so a future
 * layout can never be read as this one. README.md documents the layout for outside verifiers.
 */
import { hashLeaf } from './merkle-tree.js';
import type { AuditRecord } from './audit-entry.js';

export const AUDIT_ENTRY_ENCODING_VERSION = 0x01;

const MAX_UINT32 = 0xffff_ffff;

export function encodeAuditRecord(record: AuditRecord): Buffer {
  return Buffer.concat([
    Uint8Array.of(AUDIT_ENTRY_ENCODING_VERSION),
    encodeUint64(record.seq, 'seq'),
    encodeText(record.entryId),
    encodeUint64(record.occurredAt, 'occurredAt'),
    encodeText(record.actorType),
    encodeText(record.actorId),
    encodeOptionalText(record.actorLabel),
    encodeText(record.action),
    encodeText(record.resourceType),
    encodeText(record.resourceId),
    encodeOptionalText(record.subjectContactId),
    encodeOptionalText(record.sourceAddress),
    encodeOptionalText(record.requestId),
    encodeText(record.outcome),
    encodeText(record.details),
  ]);
}

/** SHA-256(0x00 ‖ encoding): the record's leaf hash. */
export function hashAuditRecord(record: AuditRecord): Buffer {
  return hashLeaf(encodeAuditRecord(record));
}

function encodeUint64(value: number, what: string): Buffer {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${what} must be a non-negative safe integer`);
  const bytes = Buffer.alloc(8);
  bytes.writeBigUInt64BE(BigInt(value));
  return bytes;
}

function encodeText(value: string): Buffer {
  const bytes = Buffer.from(value, 'utf8');
  // A lone surrogate becomes U+FFFD, so two different strings would share bytes: refuse it.
  if (bytes.toString('utf8') !== value) throw new RangeError('text is not well-formed Unicode');
  if (bytes.length > MAX_UINT32) throw new RangeError('text is too long to encode');
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  return Buffer.concat([length, bytes]);
}

function encodeOptionalText(value: string | null): Buffer {
  return value === null ? Buffer.of(0x00) : Buffer.concat([Buffer.of(0x01), encodeText(value)]);
}
