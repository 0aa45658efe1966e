import { randomBytes } from 'node:crypto';
import type { Clock } from '../clock.js';
import type { ConversationStore } from './conversation-store.js';
import { buildStatusError } from './graph-errors.js';
import type { RandomSource } from './seeded-random.js';
import type { TimerSet } from './timer-set.js';
import { buildMessagesWebhook, toUnixSeconds } from './webhook-payloads.js';
import type { BusinessNumber, StatusUpdate } from './webhook-payloads.js';

const CONVERSATION_MS = 24 * 60 * 60 * 1000;

/** Pricing category of a message: free-form replies are `service`; templates bill by their category. */
export type PricingCategory = 'service' | 'marketing' | 'utility' | 'authentication';

export interface StatusEmitterOptions {
  number: BusinessNumber;
  delaysMs: { sent: number; delivered: number; read: number | null };
  chaos: { duplicateProbability: number; reorderProbability: number };
  random: RandomSource;
  clock: Clock;
  timers: TimerSet;
  conversations: ConversationStore;
  deliver(payload: object): void;
}

interface PlannedStatus {
  status: 'sent' | 'delivered' | 'read';
  /** When the webhook leaves the emulator, relative to acceptance. */
  emitAfterMs: number;
  /** When the event happened on the phone; chaos moves emission, never the event. */
  happenedAt: number;
}

interface MessageRef {
  wamid: string;
  waId: string;
  bizOpaqueCallbackData?: string;
}

export type StatusEmitter = ReturnType<typeof createStatusEmitter>;

/**
 * Status webhooks for accepted messages: sent → delivered → read after the configured delays,
 * with seeded chaos (a status sent twice, two statuses arriving swapped) as Meta's do.
 */
export function createStatusEmitter(options: StatusEmitterOptions) {
  const { clock, random, chaos, delaysMs } = options;
  const conversationIds = new Map<string, { id: string; expiresAt: number }>();

  function conversationFor(waId: string, category: PricingCategory) {
    const key = `${waId}:${category}`;
    const existing = conversationIds.get(key);
    if (existing && existing.expiresAt > clock.now()) return { ...existing, isNew: false };
    const created = { id: randomBytes(16).toString('hex'), expiresAt: clock.now() + CONVERSATION_MS };
    conversationIds.set(key, created);
    return { ...created, isNew: true };
  }

  function emit(message: MessageRef, update: StatusUpdate): void {
    options.conversations.applyStatus(message.wamid, update.status, update.errors);
    options.deliver(buildMessagesWebhook(options.number, { statuses: [update] }));
  }

  function planLifecycle(): PlannedStatus[] {
    const acceptedAt = clock.now();
    const planned: PlannedStatus[] = [
      { status: 'sent', emitAfterMs: delaysMs.sent, happenedAt: acceptedAt + delaysMs.sent },
      { status: 'delivered', emitAfterMs: delaysMs.delivered, happenedAt: acceptedAt + delaysMs.delivered },
    ];
    if (delaysMs.read !== null) planned.push({ status: 'read', emitAfterMs: delaysMs.read, happenedAt: acceptedAt + delaysMs.read });
    if (random() < chaos.reorderProbability) {
      const first = Math.floor(random() * (planned.length - 1));
      const [a, b] = [planned[first]!, planned[first + 1]!];
      [a.emitAfterMs, b.emitAfterMs] = [b.emitAfterMs, a.emitAfterMs];
    }
    for (const status of [...planned]) {
      if (random() < chaos.duplicateProbability) planned.push({ ...status, emitAfterMs: status.emitAfterMs + 1 + Math.floor(random() * 50) });
    }
    return planned;
  }

  return {
    scheduleLifecycle(message: MessageRef, category: PricingCategory): void {
      const conversation = conversationFor(message.waId, category);
      const isBillable = category !== 'service';
      for (const planned of planLifecycle()) {
        const update: StatusUpdate = {
          id: message.wamid,
          status: planned.status,
          timestamp: toUnixSeconds(planned.happenedAt),
          recipient_id: message.waId,
          // Meta omits conversation and pricing from read statuses; expiration only comes with sent.
          ...(planned.status === 'read'
            ? {}
            : {
                conversation: {
                  id: conversation.id,
                  ...(planned.status === 'sent' ? { expiration_timestamp: toUnixSeconds(conversation.expiresAt) } : {}),
                  origin: { type: category },
                },
                pricing: { billable: isBillable, pricing_model: 'PMP', category, type: isBillable ? 'regular' : 'free_customer_service' },
              }),
          ...(message.bizOpaqueCallbackData === undefined ? {} : { biz_opaque_callback_data: message.bizOpaqueCallbackData }),
        };
        options.timers.after(planned.emitAfterMs, () => emit(message, update));
      }
    },
    scheduleFailure(message: MessageRef, code: number, details?: string): void {
      const update: StatusUpdate = {
        id: message.wamid,
        status: 'failed',
        timestamp: toUnixSeconds(clock.now() + delaysMs.sent),
        recipient_id: message.waId,
        errors: [buildStatusError(code, details)],
        ...(message.bizOpaqueCallbackData === undefined ? {} : { biz_opaque_callback_data: message.bizOpaqueCallbackData }),
      };
      options.timers.after(delaysMs.sent, () => emit(message, update));
    },
  };
}
