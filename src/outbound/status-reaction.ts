import type { Clock } from '../clock.js';
import type { StoreReaction } from '../conversations/event-store.js';
import { recordConsentChange } from '../privacy/consent-service.js';
import { describeMetaErrorCode } from './retry-policy.js';

const OPT_OUT_CODE = 131050;

/**
 * A `failed` status webhook about a message Rampart sent: Meta accepted it, then could not deliver
 * it (the 24-hour window 131047 usually arrives this way). The message keeps Meta's code and our
 * words for it; 131050 also records the customer's opt-out from marketing.
 */
export function createOutboundStatusReaction({ clock }: { clock: Clock }): StoreReaction {
  return async (trx, stored) => {
    for (const { event } of stored.statuses) {
      if (event.status !== 'failed') continue;
      const errors = (event.details as { errors?: { code?: unknown }[] }).errors;
      const code = typeof errors?.[0]?.code === 'number' ? errors[0].code : null;
      const outbound = await trx
        .selectFrom('outbound_messages')
        .select(['id', 'contact_id'])
        .where('wamid_index', '=', stored.wamidIndexOf(event))
        .executeTakeFirst();
      if (!outbound) continue;
      await trx
        .updateTable('outbound_messages')
        .set({ error_code: code, error_reason: describeMetaErrorCode(code), updated_at: clock.now() })
        .where('id', '=', outbound.id)
        .execute();
      if (code === OPT_OUT_CODE) {
        await recordConsentChange(
          trx,
          { contactId: outbound.contact_id, purpose: 'marketing', action: 'opt-out', source: 'send-error', occurredAt: event.timestampMs, evidenceRef: `outbound:${outbound.id}` },
          clock.now(),
        );
      }
    }
  };
}
