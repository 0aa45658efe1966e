import { describe, expect, it } from 'vitest';
import type { AuditEntryInput } from './audit-entry.js';
import { assertValidAuditEntry, canonicalDetailsJson, toAuditRecord } from './audit-entry.js';

const valid: AuditEntryInput = {
  actor: { type: 'api-key', id: '0b4f7c1e-2d3a-4b5c-9d6e-7f8091a2b3c4', label: 'crm' },
  action: 'contact.export',
  resource: { type: 'contact', id: '6f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b' },
  subjectContactId: '6f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b',
  sourceAddress: '2001:db8::1',
  requestId: 'req-42',
  outcome: 'success',
  details: { rows: 3, format: 'csv', isStepUp: true, note: null },
};

function problemsOf(entry: unknown): string {
  try {
    assertValidAuditEntry(entry as AuditEntryInput);
    return 'accepted';
  } catch (error) {
    return (error as Error).message;
  }
}

describe('audit entry validation', () => {
  it('accepts a typical entry, and system entries with nothing but an actor, action, resource and outcome', () => {
    expect(problemsOf(valid)).toBe('accepted');
    expect(problemsOf({ actor: { type: 'system', id: 'retention-worker' }, action: 'retention.purged', resource: { type: 'message', id: 'all' }, outcome: 'success' })).toBe('accepted');
  });

  it('refuses a phone number wherever one could slip in, naming the field but never the value', () => {
    const phone = '+49 151 1234 5678';
    const cases: [string, unknown][] = [
      ['actor.label', { ...valid, actor: { ...valid.actor, label: `agent ${phone}` } }],
      ['details.query', { ...valid, details: { query: phone } }],
      ['details.query', { ...valid, details: { query: '4915112345678' } }],
      ['resource.id', { ...valid, resource: { type: 'contact', id: '4915112345678' } }],
      ['actor.id', { ...valid, actor: { type: 'user', id: '+4915112345678' } }],
      ['subjectContactId', { ...valid, subjectContactId: '4915112345678' }],
    ];
    for (const [field, entry] of cases) {
      const message = problemsOf(entry);
      expect(message).toContain(field);
      expect(message).not.toMatch(/\d{4}/);
    }
  });

  it('accepts Rampart ids in details even when their hex digits run long, and still refuses a number beside them', () => {
    // A UUID whose digits run past seven (with dashes between): ids like this are common.
    const id = '12345678-9012-4345-8678-901234567890';
    expect(problemsOf({ ...valid, details: { userId: id, before: `admin,${id}` } })).toBe('accepted');
    expect(problemsOf({ ...valid, details: { note: `${id} +49 151 1234 5678` } })).toContain('details.note');
  });

  it('refuses fields it does not know (no free-form place for message text), control characters and oversized details', () => {
    expect(problemsOf({ ...valid, messageText: 'hello' })).toContain('messageText');
    expect(problemsOf({ ...valid, actor: { ...valid.actor, label: 'crm\nforged line' } })).toContain('actor.label');
    expect(problemsOf({ ...valid, details: { nested: { text: 'hi' } } })).toContain('details');
    expect(problemsOf({ ...valid, details: Object.fromEntries(Array.from({ length: 33 }, (_unused, index) => [`k${index}`, index])) })).toContain('at most 32');
    expect(problemsOf({ ...valid, sourceAddress: 'example.org' })).toContain('sourceAddress');
    expect(problemsOf({ ...valid, action: 'read' })).toContain('action');
    expect(problemsOf({ ...valid, outcome: 'ok' })).toContain('outcome');
  });

  it('stores details as canonical JSON: the same details in any key order give the same text', () => {
    expect(canonicalDetailsJson({ b: 1, a: 'x', c: null })).toBe('{"a":"x","b":1,"c":null}');
    const forward = toAuditRecord({ ...valid, details: { rows: 3, format: 'csv' } }, { seq: 0, entryId: 'e', now: 1 });
    const backward = toAuditRecord({ ...valid, details: { format: 'csv', rows: 3 } }, { seq: 0, entryId: 'e', now: 1 });
    expect(forward.details).toBe(backward.details);
    expect(toAuditRecord({ ...valid, details: undefined }, { seq: 0, entryId: 'e', now: 5 })).toMatchObject({ details: '{}', occurredAt: 5 });
  });
});
