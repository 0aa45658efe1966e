import { decryptJson, decryptText } from '../crypto/envelope.js';
import type { KeyStore } from '../crypto/key-store.js';
import type { Db } from '../db/database.js';
import type { ConsentState, ContactIdentity } from './inbox-schemas.js';

/** A contact as stored: its sealed number and profile, and the id of its data key. */
export interface SealedContact {
  id: string;
  dataKeyId: string;
  waIdEnc: Buffer;
  profileEnc: Buffer | null;
}

export async function findSealedContact(db: Db, contactId: string): Promise<SealedContact | null> {
  const row = await db.selectFrom('contacts').select(['id', 'data_key_id', 'wa_id_enc', 'profile_enc']).where('id', '=', contactId).executeTakeFirst();
  return row ? { id: row.id, dataKeyId: row.data_key_id, waIdEnc: row.wa_id_enc, profileEnc: row.profile_enc } : null;
}

/** The contact's data key (key material, not customer data; opened inside the audited read all the same). */
export async function openContactKey(db: Db, keys: KeyStore, contact: SealedContact): Promise<Buffer> {
  return (await keys.getDataKey(db, contact.dataKeyId, contact.id)).key;
}

/** Name and number, decrypted. Call only inside `auditedAccess`. */
export function openContactIdentity(contact: SealedContact, dataKey: Buffer): ContactIdentity {
  const context = (column: string) => ({ table: 'contacts', column, rowId: contact.id, contactId: contact.id });
  const waId = decryptText(dataKey, context('wa_id'), contact.waIdEnc);
  const profile = contact.profileEnc ? (decryptJson(dataKey, context('profile'), contact.profileEnc) as { name?: unknown }) : null;
  return {
    name: typeof profile?.name === 'string' && profile.name.length > 0 ? profile.name : null,
    // wa_ids are numbers in digits; a customer known only by a business-scoped user id keeps that id.
    phone: /^\d+$/.test(waId) ? `+${waId}` : waId,
  };
}

/**
 * The current consent per purpose from the ledger (latest event wins, as findCurrentConsent
 * decides). The ledger holds no customer text, so this needs no decryption.
 */
export async function findConsentStates(db: Db, contactId: string): Promise<ConsentState[]> {
  const events = await db
    .selectFrom('consent_events')
    .select(['purpose', 'action', 'source', 'occurred_at'])
    .where('contact_id', '=', contactId)
    .orderBy('occurred_at', 'asc')
    .orderBy('recorded_at', 'asc')
    .execute();
  const latest = new Map<string, ConsentState>();
  for (const event of events) {
    latest.set(event.purpose, { purpose: event.purpose, state: event.action === 'opt-out' ? 'opted-out' : 'opted-in', changedAt: Number(event.occurred_at), source: event.source });
  }
  return [...latest.values()].sort((a, b) => a.purpose.localeCompare(b.purpose));
}
