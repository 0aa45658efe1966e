import type { Clock } from '../clock.js';
import type { Config } from '../config/load-config.js';
import type { StoreReaction } from '../conversations/event-store.js';
import { queueOutboundMessage } from '../outbound/send-service.js';
import { createKeywordMatcher } from './consent-keywords.js';
import { createConsentReactions } from './consent-reactions.js';
import type { ConsentConfirmation } from './consent-reactions.js';

/** Consent changes read from inbound events (keywords, user_preferences), as configured. */
export function createConsentReaction({ config, clock }: { config: Config; clock: Clock }): StoreReaction {
  const matcher = createKeywordMatcher({
    ...(config.consent.optOutKeywords ? { optOut: config.consent.optOutKeywords } : {}),
    ...(config.consent.optInKeywords ? { optIn: config.consent.optInKeywords } : {}),
  });
  return createConsentReactions({ matcher, clock, confirmation: createConfirmation(config, clock) });
}

/** Confirms a STOP/START keyword to the customer from the number they wrote to, when sending is configured. */
function createConfirmation(config: Config, clock: Clock): ConsentConfirmation | null {
  const { accessToken, phoneNumberId } = config.whatsapp;
  if (!accessToken || !phoneNumberId) return null;
  return {
    async send(trx, contact, toPhoneNumberId, action) {
      const body = action === 'opt-out' ? config.consent.optOutReply : config.consent.optInReply;
      if (body === null || toPhoneNumberId !== phoneNumberId) return;
      await queueOutboundMessage(trx, { contact, phoneNumberId, message: { type: 'text', text: { body } }, apiKeyId: null, now: clock.now() });
    },
  };
}
