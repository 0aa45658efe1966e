import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AUDIT_ENTRY_ENCODING_VERSION, encodeAuditRecord, hashAuditRecord } from './audit-entry-encoding.js';
import type { AuditRecord } from './audit-entry.js';

const record: AuditRecord = {
  seq: 7,
  entryId: '3f0c1a52-8d2e-4d8b-9f4e-1b2a3c4d5e6f',
  occurredAt: 1_795_000_000_000,
  actorType: 'user',
  actorId: 'b5a1f0e2-0c1d-4e2f-8a3b-4c5d6e7f8091',
  actorLabel: null,
  action: 'conversation.read',
  resourceType: 'conversation',
  resourceId: '9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a',
  subjectContactId: '9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a',
  sourceAddress: '203.0.113.7',
  requestId: 'req-1',
  outcome: 'success',
  details: '{"messages":12}',
};

/** The layout as README.md states it, written out independently of the encoder. */
function encodeByTheReadme(value: AuditRecord): Buffer {
  const uint64 = (number: number) => {
    const bytes = Buffer.alloc(8);
    bytes.writeBigUInt64BE(BigInt(number));
    return bytes;
  };
  const text = (string: string) => {
    const bytes = Buffer.from(string, 'utf8');
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.length);
    return Buffer.concat([length, bytes]);
  };
  const optional = (string: string | null) => (string === null ? Buffer.of(0) : Buffer.concat([Buffer.of(1), text(string)]));
  return Buffer.concat([
    Buffer.of(1),
    uint64(value.seq),
    text(value.entryId),
    uint64(value.occurredAt),
    text(value.actorType),
    text(value.actorId),
    optional(value.actorLabel),
    text(value.action),
    text(value.resourceType),
    text(value.resourceId),
    optional(value.subjectContactId),
    optional(value.sourceAddress),
    optional(value.requestId),
    text(value.outcome),
    text(value.details),
  ]);
}

describe('audit entry encoding', () => {
  it('is the documented version-1 layout byte for byte, and the leaf hash is SHA-256(0x00 ‖ encoding)', () => {
    expect(AUDIT_ENTRY_ENCODING_VERSION).toBe(1);
    const encoded = encodeAuditRecord(record);
    expect(encoded.equals(encodeByTheReadme(record))).toBe(true);
    expect(encodeAuditRecord({ ...record, actorLabel: 'crm', subjectContactId: null }).equals(encodeByTheReadme({ ...record, actorLabel: 'crm', subjectContactId: null }))).toBe(true);
    const expectedLeaf = createHash('sha256').update(Buffer.of(0)).update(encoded).digest();
    expect(hashAuditRecord(record).equals(expectedLeaf)).toBe(true);
  });

  it('is deterministic: the same record always encodes to the same bytes', () => {
    expect(encodeAuditRecord({ ...record }).equals(encodeAuditRecord(record))).toBe(true);
  });

  it('changes the leaf hash when any single field changes', () => {
    const changes: Partial<AuditRecord>[] = [
      { seq: 8 },
      { entryId: '3f0c1a52-8d2e-4d8b-9f4e-1b2a3c4d5e60' },
      { occurredAt: record.occurredAt + 1 },
      { actorType: 'api-key' },
      { actorId: 'b5a1f0e2-0c1d-4e2f-8a3b-4c5d6e7f8092' },
      { actorLabel: '' },
      { action: 'contact.export' },
      { resourceType: 'contact' },
      { resourceId: 'other' },
      { subjectContactId: null },
      { sourceAddress: null },
      { requestId: null },
      { outcome: 'denied' },
      { details: '{"messages":13}' },
    ];
    const original = hashAuditRecord(record);
    for (const change of changes) expect(hashAuditRecord({ ...record, ...change }).equals(original), JSON.stringify(change)).toBe(false);
  });

  it('never lets bytes move between adjacent fields, or an absent value pass as an empty one', () => {
    const shifted = { ...record, resourceType: 'conversationX', resourceId: record.resourceId.slice(1) };
    expect(encodeAuditRecord({ ...record, resourceType: 'conversation', resourceId: `X${record.resourceId.slice(1)}` }).equals(encodeAuditRecord(shifted))).toBe(false);
    expect(encodeAuditRecord({ ...record, actorLabel: null }).equals(encodeAuditRecord({ ...record, actorLabel: '' }))).toBe(false);
    expect(encodeAuditRecord({ ...record, requestId: null, outcome: 'success' }).equals(encodeAuditRecord({ ...record, requestId: 'success', outcome: '' }))).toBe(false);
  });

  it('refuses what it cannot encode unambiguously: lone surrogates, negative or unsafe integers', () => {
    expect(() => encodeAuditRecord({ ...record, actorId: '\uD800' })).toThrow(RangeError);
    expect(() => encodeAuditRecord({ ...record, seq: -1 })).toThrow(RangeError);
    expect(() => encodeAuditRecord({ ...record, occurredAt: 1.5 })).toThrow(RangeError);
    expect(() => encodeAuditRecord({ ...record, seq: 2 ** 53 })).toThrow(RangeError);
  });
});
