import type { Clock } from '../clock.js';
import type { StoreReaction, StoredBatch } from '../conversations/event-store.js';
import type { Trx } from '../db/group-commit-writer.js';
import type { KeywordMatcher } from './consent-keywords.js';
import { recordConsentChange } from './consent-service.js';

export interface ConsentConfirmation {
  /** Queues a reply to the customer in the same transaction (null when sending is not configured). */
  send(trx: Trx, contact: StoredBatch['messages'][number]['contact'], phoneNumberId: string, action: 'opt-out' | 'opt-in'): Promise<void>;
}

/**
 * Consent changes that arrive with inbound events, recorded in the transaction that stores them:
 * a message that is only a STOP/START keyword, and Meta's `user_preferences` webhook (the customer
 * stopped or resumed marketing messages in WhatsApp itself).
 */
export function createConsentReactions({ matcher, clock, confirmation }: { matcher: KeywordMatcher; clock: Clock; confirmation: ConsentConfirmation | null }): StoreReaction {
  return async (trx, stored) => {
    for (const { id, contact, event } of stored.messages) {
      const body = event.type === 'text' ? (event.content.text as { body?: unknown } | undefined)?.body : undefined;
      const verdict = typeof body === 'string' ? matcher.match(body) : null;
      if (!verdict) continue;
      await recordConsentChange(trx, { contactId: contact.id, purpose: 'marketing', action: verdict, source: 'keyword', occurredAt: event.timestampMs, evidenceRef: `message:${id}` }, clock.now());
      await confirmation?.send(trx, contact, event.phoneNumberId, verdict);
    }
    for (const { id, contact, event } of stored.accountEvents) {
      if (event.field !== 'user_preferences' || !contact) continue;
      const preferences = (event.value as { user_preferences?: unknown }).user_preferences;
      for (const preference of Array.isArray(preferences) ? preferences : []) {
        const { category, value, timestamp } = preference as { category?: unknown; value?: unknown; timestamp?: unknown };
        if (category !== 'marketing_messages' || (value !== 'stop' && value !== 'resume')) continue;
        const seconds = Number(timestamp);
        await recordConsentChange(
          trx,
          {
            contactId: contact.id,
            purpose: 'marketing',
            action: value === 'stop' ? 'opt-out' : 'opt-in',
            source: 'webhook',
            occurredAt: Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : clock.now(),
            evidenceRef: `event:${id}`,
          },
          clock.now(),
        );
      }
    }
  };
}
