/**
 * One page of the audit log for people: newest first, keyset-paged by sequence number, filtered by
 * action prefix and outcome. Contacts appear only as their pseudonym, computed from the id the
 * entry holds; entries never held a number to begin with (the entry gate), and nothing here adds one.
 */
import type { Selectable } from 'kysely';
import type { Db } from '../../db/database.js';
import type { AuditOutcome } from '../audit-entry.js';
import type { AuditEntryTable } from '../audit.table.js';

export interface EntryPageQuery {
  /** Only entries with a smaller sequence number (the previous page's `nextBefore`). */
  before?: number;
  limit: number;
  /** Only actions starting with this text: validated to `[a-z0-9.-]`, so it holds no LIKE wildcard. */
  actionPrefix?: string;
  outcome?: AuditOutcome;
}

export type AuditDetailsView = Record<string, string | number | boolean | null>;

export interface AuditEntryView {
  seq: number;
  occurredAt: number;
  actor: { type: string; id: string; label?: string };
  action: string;
  resource: { type: string; id: string } | null;
  subject: string | null;
  sourceAddress: string | null;
  outcome: string;
  details: AuditDetailsView;
}

export interface EntryPage {
  entries: AuditEntryView[];
  nextBefore: number | null;
}

type EntryRow = Omit<Selectable<AuditEntryTable>, 'entry_id' | 'request_id' | 'leaf_hash'>;

export async function readEntryPage(db: Db, query: EntryPageQuery): Promise<EntryPage> {
  let select = db
    .selectFrom('audit_entries')
    .select(['seq', 'occurred_at', 'actor_type', 'actor_id', 'actor_label', 'action', 'resource_type', 'resource_id', 'subject_contact_id', 'source_address', 'outcome', 'details'])
    // The primary key, walked backwards: a page costs its own rows (plus those the filters skip).
    .orderBy('seq', 'desc')
    .limit(query.limit + 1);
  if (query.before !== undefined) select = select.where('seq', '<', query.before);
  if (query.actionPrefix !== undefined) select = select.where('action', 'like', `${query.actionPrefix}%`);
  if (query.outcome !== undefined) select = select.where('outcome', '=', query.outcome);
  const rows = await select.execute();
  const page = rows.slice(0, query.limit).map(toEntryView);
  const hasMore = rows.length > query.limit;
  return { entries: page, nextBefore: hasMore ? (page.at(-1)?.seq ?? null) : null };
}

/** "C-" and the first 8 hex digits of the contact id, upper case: shown without decrypting anything. */
export function toContactPseudonym(contactId: string | null): string | null {
  if (contactId === null) return null;
  const prefix = contactId.slice(0, 8);
  // Anything else was not written through the entry gate (which takes UUIDs only): show nothing of it.
  return /^[0-9a-f]{8}$/i.test(prefix) ? `C-${prefix.toUpperCase()}` : null;
}

function toEntryView(row: EntryRow): AuditEntryView {
  return {
    seq: Number(row.seq),
    occurredAt: Number(row.occurred_at),
    actor: { type: row.actor_type, id: row.actor_id, ...(row.actor_label === null ? {} : { label: row.actor_label }) },
    action: row.action,
    resource: { type: row.resource_type, id: row.resource_id },
    subject: toContactPseudonym(row.subject_contact_id),
    sourceAddress: row.source_address,
    outcome: row.outcome,
    details: parseDetails(row.details),
  };
}

/** Details as written (a flat object of scalars); a row edited into anything else shows as empty. */
function parseDetails(text: string): AuditDetailsView {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return {};
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return {};
  const scalars = Object.entries(parsed as Record<string, unknown>).filter(
    (entry): entry is [string, string | number | boolean | null] => entry[1] === null || ['string', 'number', 'boolean'].includes(typeof entry[1]),
  );
  return Object.fromEntries(scalars);
}
