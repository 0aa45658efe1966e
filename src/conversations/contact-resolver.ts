import { randomUUID } from 'node:crypto';
import type { Clock } from '../clock.js';
import type { BlindIndex } from '../crypto/blind-index.js';
import { encryptJson, encryptText } from '../crypto/envelope.js';
import type { DataKey, KeyStore } from '../crypto/key-store.js';
import { contactKeyOwner } from '../crypto/key-store.js';
import type { Trx } from '../db/group-commit-writer.js';
import { canonicalJson } from './canonical-json.js';

export interface ResolvedContact {
  id: string;
  dataKey: DataKey;
  profileDigest: Buffer | null;
}

const LOOKUPS_PER_QUERY = 500;

/**
 * Finds (or creates) the contacts of one batch: one query for all known customers, then one row
 * and one fresh data key per new customer. Customers are found by blind index, never by decrypting.
 */
export function createContactResolver({ trx, keys, index, clock }: { trx: Trx; keys: KeyStore; index: BlindIndex; clock: Clock }) {
  const byCustomer = new Map<string, ResolvedContact>();

  async function resolve(customerIds: readonly string[]): Promise<void> {
    const customersByLookup = new Map<string, string[]>();
    for (const customerId of new Set(customerIds)) {
      if (byCustomer.has(customerId)) continue;
      const key = lookupIndexOf(customerId).toString('hex');
      customersByLookup.set(key, [...(customersByLookup.get(key) ?? []), customerId]);
    }
    const lookups = [...customersByLookup.keys()];
    for (let start = 0; start < lookups.length; start += LOOKUPS_PER_QUERY) {
      for (const row of await findContacts(lookups.slice(start, start + LOOKUPS_PER_QUERY).map((hex) => Buffer.from(hex, 'hex')))) {
        const contact = { id: row.contact_id, dataKey: await keys.openDataKey(row, row.contact_id), profileDigest: row.profile_digest };
        const key = row.lookup_index.toString('hex');
        for (const customerId of customersByLookup.get(key) ?? []) byCustomer.set(customerId, contact);
        customersByLookup.delete(key);
      }
    }
    // Sorted, so concurrent transactions (PostgreSQL) take row locks in one order and cannot deadlock here.
    for (const [key, customers] of [...customersByLookup].sort(([a], [b]) => a.localeCompare(b))) {
      const contact = await findOrCreateContact(Buffer.from(key, 'hex'), customers[0]!);
      for (const customerId of customers) byCustomer.set(customerId, contact);
    }
  }

  function get(customerId: string): ResolvedContact {
    const contact = byCustomer.get(customerId);
    if (!contact) throw new Error('contact was not resolved for this batch');
    return contact;
  }

  /** Stores each contact's latest profile name, only when it differs from the stored one. */
  async function updateProfiles(entries: readonly { customerId: string; profileName: string | null }[]): Promise<void> {
    const latest = new Map<ResolvedContact, string>();
    for (const { customerId, profileName } of entries) if (profileName !== null) latest.set(get(customerId), profileName);
    for (const [contact, name] of [...latest].sort(([a], [b]) => a.id.localeCompare(b.id))) {
      const profile = { name };
      // Bound to the contact, so equal names of different contacts give unrelated digests.
      const digest = index.eventKey(Buffer.from(`contact-profile\0${contact.id}\0${canonicalJson(profile)}`, 'utf8'));
      if (contact.profileDigest?.equals(digest)) continue;
      await trx
        .updateTable('contacts')
        .set({
          profile_enc: encryptJson(contact.dataKey.key, contact.dataKey.keyInfo, contextOf(contact.id, 'profile'), profile),
          profile_digest: digest,
          updated_at: clock.now(),
        })
        .where('id', '=', contact.id)
        .execute();
      contact.profileDigest = digest;
    }
  }

  function lookupIndexOf(customerId: string): Buffer {
    // wa_ids are phone numbers in digits; business-scoped user ids ("US.123…") and anything odd are
    // indexed as opaque ids, so one strange id can never make a whole webhook fail (and be retried forever).
    return isPhoneLike(customerId) ? index.phone(customerId) : index.userId(customerId);
  }

  function findContacts(lookups: Buffer[]) {
    return trx
      .selectFrom('contacts')
      .innerJoin('data_keys', 'data_keys.id', 'contacts.data_key_id')
      .select([
        'contacts.id as contact_id',
        'contacts.lookup_index',
        'contacts.profile_digest',
        'data_keys.id',
        'data_keys.kek_provider',
        'data_keys.kek_id',
        'data_keys.kek_version',
        'data_keys.wrapped_key',
      ])
      .where('contacts.lookup_index', 'in', lookups)
      .execute();
  }

  async function findOrCreateContact(lookup: Buffer, customerId: string): Promise<ResolvedContact> {
    const id = randomUUID();
    const dataKey = await keys.createDataKey(trx, contactKeyOwner(id), id);
    const now = clock.now();
    const inserted = await trx
      .insertInto('contacts')
      .values({
        id,
        lookup_index: lookup,
        data_key_id: dataKey.keyInfo.dataKeyId,
        wa_id_enc: encryptText(dataKey.key, dataKey.keyInfo, contextOf(id, 'wa_id'), customerId),
        profile_enc: null,
        profile_digest: null,
        created_at: now,
        updated_at: now,
      })
      // A concurrent transaction (another batch or gateway) may create the same contact first.
      .onConflict((conflict) => conflict.column('lookup_index').doNothing())
      .executeTakeFirst();
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) > 0) return { id, dataKey, profileDigest: null };
    await keys.deleteDataKey(trx, dataKey.keyInfo.dataKeyId, id);
    const [winner] = await findContacts([lookup]);
    if (!winner) throw new Error('contact vanished after a conflicting insert');
    return { id: winner.contact_id, dataKey: await keys.openDataKey(winner, winner.contact_id), profileDigest: winner.profile_digest };
  }

  return { resolve, get, updateProfiles };
}

function contextOf(contactId: string, column: string) {
  return { table: 'contacts', column, rowId: contactId, contactId };
}

function isPhoneLike(customerId: string): boolean {
  return /^\+?[1-9]\d{5,14}$/.test(customerId);
}
