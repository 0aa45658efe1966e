/**
 * What an audit entry holds, and the gate every new entry passes. Entries are immutable forever
 * (erasure cannot reach them), so the gate refuses what looks like personal data: contacts appear
 * only as their Rampart id, identifiers are restricted to id-like characters, and free text
 * (the actor label, string details) may not carry a phone-number-like run of digits.
 */
import { z } from 'zod';

export const auditActorTypes = ['user', 'api-key', 'system'] as const;
export const auditOutcomes = ['success', 'denied', 'failed'] as const;

export type AuditActorType = (typeof auditActorTypes)[number];
export type AuditOutcome = (typeof auditOutcomes)[number];
export type AuditDetailValue = string | number | boolean | null;
export type AuditDetails = Readonly<Record<string, AuditDetailValue>>;

export interface AuditActor {
  readonly type: AuditActorType;
  /** A user or API key id, or a system component's name (`retention-worker`). */
  readonly id: string;
  /** A non-personal name (an API key's name, a component); never a person's name or email. */
  readonly label?: string;
}

export interface AuditResource {
  /** Dotted lowercase kind: `conversation`, `contact`, `media`, `user`, `kek`. */
  readonly type: string;
  /** Rampart's id of the resource, never a phone number or a Meta id that encodes one. */
  readonly id: string;
}

export interface AuditEntryInput {
  readonly actor: AuditActor;
  /** Dotted lowercase verb phrase: `conversation.read`, `auth.login.failed`. */
  readonly action: string;
  readonly resource: AuditResource;
  /** Whose data: the contact's Rampart id (a random UUID, the pseudonym). */
  readonly subjectContactId?: string | null;
  /** The caller's IP address, when the access came over the network. */
  readonly sourceAddress?: string | null;
  readonly requestId?: string | null;
  readonly outcome: AuditOutcome;
  /** Counts, reasons, flags: flat, at most 32 keys. Times go in as numbers (a date string reads as digits). */
  readonly details?: AuditDetails;
  /** Milliseconds since the epoch; the log's clock when absent. */
  readonly occurredAt?: number;
}

/**
 * An entry as stored and as encoded into its leaf. Every field is the stored text, unvalidated:
 * verification must encode whatever the database holds, including values an attacker wrote.
 */
export interface AuditRecord {
  readonly seq: number;
  readonly entryId: string;
  readonly occurredAt: number;
  readonly actorType: string;
  readonly actorId: string;
  readonly actorLabel: string | null;
  readonly action: string;
  readonly resourceType: string;
  readonly resourceId: string;
  readonly subjectContactId: string | null;
  readonly sourceAddress: string | null;
  readonly requestId: string | null;
  readonly outcome: string;
  /** Canonical JSON of the details: keys sorted, no whitespace. */
  readonly details: string;
}

// Seven or more digits, however separated: the shape of a phone number in free text.
const PHONE_LIKE = /\+?\d(?:[\s().-]*\d){6,}/;
// Rampart's ids are UUIDs; their hex digits often run seven long, so they are taken out before the phone check.
const UUID_ANYWHERE = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;
// An identifier that is nothing but a long number is most likely a phone number (a wa_id).
const NUMBER_ONLY = /^\+?\d{7,}$/;

const identifier = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.:@/-]{0,127}$/, 'must be 1–128 id characters (letters, digits, _ . : @ / -)')
  .refine((value) => !NUMBER_ONLY.test(value), 'must be a Rampart id, not a phone number');

const freeText = (maxLength: number) =>
  z
    .string()
    .min(1)
    .max(maxLength)
    // Control characters would let one entry's text pose as two lines in an export or a terminal.
    .refine((value) => !/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/u.test(value), 'must not contain control characters')
    .refine((value) => !PHONE_LIKE.test(value.replace(UUID_ANYWHERE, ' ')), 'must not contain a phone-number-like run of digits');

const dottedName = z.string().max(100).regex(/^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)*$/, 'must be dotted lowercase words');

const detailsSchema = z
  .record(
    z.string().regex(/^[A-Za-z][A-Za-z0-9_.-]{0,63}$/, 'detail keys are short identifiers'),
    z.union([freeText(200), z.number().finite(), z.boolean(), z.null()]),
  )
  .refine((details) => Object.keys(details).length <= 32, 'at most 32 details');

const entrySchema = z.strictObject({
  actor: z.strictObject({ type: z.enum(auditActorTypes), id: identifier, label: freeText(100).optional() }),
  action: dottedName.refine((value) => value.includes('.'), 'must name a domain and a verb, e.g. conversation.read'),
  resource: z.strictObject({ type: dottedName, id: identifier }),
  subjectContactId: z.uuid().nullable().optional(),
  sourceAddress: z.union([z.ipv4(), z.ipv6()]).nullable().optional(),
  requestId: z.string().regex(/^[\x21-\x7e]{1,128}$/, 'must be 1–128 printable ASCII characters').nullable().optional(),
  outcome: z.enum(auditOutcomes),
  details: detailsSchema.optional(),
  occurredAt: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER).optional(),
});

/** Checks an entry before it is written; throws RangeError naming the fields (never their values). */
export function assertValidAuditEntry(entry: AuditEntryInput): void {
  const parsed = entrySchema.safeParse(entry);
  if (parsed.success) return;
  const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || 'entry'}: ${issue.message}`);
  throw new RangeError(`invalid audit entry: ${problems.join('; ')}`);
}

/** The stored form of a valid entry at its position. */
export function toAuditRecord(entry: AuditEntryInput, position: { seq: number; entryId: string; now: number }): AuditRecord {
  return {
    seq: position.seq,
    entryId: position.entryId,
    occurredAt: entry.occurredAt ?? position.now,
    actorType: entry.actor.type,
    actorId: entry.actor.id,
    actorLabel: entry.actor.label ?? null,
    action: entry.action,
    resourceType: entry.resource.type,
    resourceId: entry.resource.id,
    subjectContactId: entry.subjectContactId ?? null,
    sourceAddress: entry.sourceAddress ?? null,
    requestId: entry.requestId ?? null,
    outcome: entry.outcome,
    details: canonicalDetailsJson(entry.details ?? {}),
  };
}

/** JSON of a flat details object with its keys sorted (UTF-16 order; keys are ASCII), no whitespace. */
export function canonicalDetailsJson(details: AuditDetails): string {
  const sorted = Object.keys(details)
    .sort()
    .map((key) => [key, details[key]] as const);
  return JSON.stringify(Object.fromEntries(sorted));
}
