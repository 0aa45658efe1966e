import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { DatabaseSchema } from '../db/database-schema.js';
import type { ConsentEventTable } from './consent.table.js';

type Executor = Kysely<DatabaseSchema>;

export type ConsentPurpose = 'service' | 'marketing' | 'notifications' | (string & {});
export type ConsentSource = 'keyword' | 'button' | 'api' | 'webhook' | 'agent' | 'send-error';

export interface ConsentChange {
  contactId: string;
  purpose: ConsentPurpose;
  action: ConsentEventTable['action'];
  source: ConsentSource;
  occurredAt: number;
  noticeVersion?: string | null;
  evidenceRef?: string | null;
}

/** Appends one event to the ledger (in the caller's transaction). Nothing is ever updated in place. */
export async function recordConsentChange(db: Executor, change: ConsentChange, recordedAt: number): Promise<void> {
  await db
    .insertInto('consent_events')
    .values({
      id: randomUUID(),
      contact_id: change.contactId,
      purpose: change.purpose,
      action: change.action,
      source: change.source,
      notice_version: change.noticeVersion ?? null,
      evidence_ref: change.evidenceRef ?? null,
      occurred_at: change.occurredAt,
      recorded_at: recordedAt,
    })
    .execute();
}

/** The latest event decides; null when the contact never said anything about this purpose. */
export async function findCurrentConsent(db: Executor, contactId: string, purpose: ConsentPurpose): Promise<ConsentEventTable['action'] | null> {
  const row = await db
    .selectFrom('consent_events')
    .select('action')
    .where('contact_id', '=', contactId)
    .where('purpose', '=', purpose)
    .orderBy('occurred_at', 'desc')
    .orderBy('recorded_at', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row?.action ?? null;
}
