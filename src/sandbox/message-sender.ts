import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import type { ConversationStore } from './conversation-store.js';
import type { FailureInjector, FailureRule } from './failure-injector.js';
import { GraphError, invalidParameter } from './graph-errors.js';
import { parseGraphBody } from './graph-validation.js';
import { createWamid } from './identifiers.js';
import type { MediaStore } from './media-store.js';
import { describeOutbound } from './outbound-content.js';
import { envelopeSchema, isSendableType, markReadSchema, normaliseRecipient, sendableTypes, typeSchemas } from './send-request-schema.js';
import type { TypedSendRequest } from './send-request-schema.js';
import type { PricingCategory, StatusEmitter } from './status-emitter.js';
import type { TemplateStore } from './template-store.js';
import { createTokenBucket } from './token-bucket.js';
import type { TokenBucket } from './token-bucket.js';

export interface MessageSenderOptions {
  clock: Clock;
  logger: Logger;
  throughputPerSecond: number;
  pairRateLimit: { burst: number; refillEveryMs: number };
  windowViolation: 'failed-status' | 'error-response';
  conversations: ConversationStore;
  templates: TemplateStore;
  media: MediaStore;
  failures: FailureInjector;
  statuses: StatusEmitter;
}

export interface SendResponse {
  messaging_product: 'whatsapp';
  contacts: { input: string; wa_id: string }[];
  messages: { id: string; message_status?: 'accepted' }[];
}

/** What the route does with a send: answer, or drop the connection (failure injection). */
export type SendOutcome = { kind: 'answer'; body: SendResponse | { success: true } } | { kind: 'drop' };

interface ParsedSend {
  request: TypedSendRequest;
  /** As given, echoed in `contacts[].input`. */
  to: string;
  waId: string;
  contextId?: string;
  bizOpaqueCallbackData?: string;
}

type SendableTemplate = ReturnType<TemplateStore['checkSendable']>;

function uploadedMediaIdOf(request: TypedSendRequest): string | undefined {
  switch (request.type) {
    case 'image':
      return request.image.id;
    case 'video':
      return request.video.id;
    case 'audio':
      return request.audio.id;
    case 'document':
      return request.document.id;
    case 'sticker':
      return request.sticker.id;
    default:
      return undefined;
  }
}

/** Pair buckets beyond this many are pruned (the full ones carry no state worth keeping). */
const MAX_PAIR_BUCKETS = 10_000;

export type MessageSender = ReturnType<typeof createMessageSender>;

/**
 * `POST /<version>/<phone number id>/messages`. Order of checks: body (100) → media and
 * template (100, 132001, 132015, 132016, 132000) → injected failure → 24-hour window (131047)
 * → throughput (130429) → pair rate (131056) → accepted. A refused send changes no state.
 */
export function createMessageSender(options: MessageSenderOptions) {
  const { clock, conversations } = options;
  const throughput = createTokenBucket({ capacity: options.throughputPerSecond, refillEveryMs: 1000 / options.throughputPerSecond, clock });
  const pairBuckets = new Map<string, TokenBucket>();
  let lastPrunedAt = -Infinity;

  function pairBucketOf(waId: string): TokenBucket {
    let bucket = pairBuckets.get(waId);
    if (!bucket) {
      // At most one scan per refill interval: no bucket can have refilled sooner, and scanning on
      // every new recipient stalled fast senders with many recipients.
      if (pairBuckets.size >= MAX_PAIR_BUCKETS && clock.now() - lastPrunedAt >= options.pairRateLimit.refillEveryMs) {
        lastPrunedAt = clock.now();
        for (const [key, candidate] of pairBuckets) if (candidate.isFull()) pairBuckets.delete(key);
      }
      bucket = createTokenBucket({ capacity: options.pairRateLimit.burst, refillEveryMs: options.pairRateLimit.refillEveryMs, clock });
      pairBuckets.set(waId, bucket);
    }
    return bucket;
  }

  function parseRequest(body: unknown): ParsedSend {
    const envelope = parseGraphBody(envelopeSchema, body);
    if (!envelope.ok) throw envelope.error;
    const { type, to } = envelope.data;
    if (!isSendableType(type)) throw invalidParameter(`Param type must be one of {${sendableTypes.join(', ')}}.`);
    const typed = parseGraphBody(typeSchemas[type], envelope.data);
    if (!typed.ok) throw typed.error;
    const { context, biz_opaque_callback_data: bizOpaqueCallbackData } = envelope.data;
    return {
      request: { ...typed.data, type } as TypedSendRequest,
      to,
      waId: normaliseRecipient(to)!,
      ...(context ? { contextId: context.message_id } : {}),
      ...(bizOpaqueCallbackData === undefined ? {} : { bizOpaqueCallbackData }),
    };
  }

  function checkMediaReference(request: TypedSendRequest): void {
    const mediaId = uploadedMediaIdOf(request);
    if (mediaId === undefined) return;
    const stored = options.media.get(mediaId);
    if (!stored) throw invalidParameter(`Param ${request.type}['id'] does not refer to uploaded media.`);
    if (stored.kind !== request.type) throw invalidParameter(`Param ${request.type}['id'] refers to ${stored.kind} media, not ${request.type}.`);
  }

  function checkLimits(waId: string): void {
    if (!throughput.hasToken()) throw new GraphError(130429);
    if (!pairBucketOf(waId).tryTake()) throw new GraphError(131056);
    throughput.tryTake();
  }

  function accept(parsed: ParsedSend, template: SendableTemplate | undefined, failure: FailureRule | null, isOutsideWindow: boolean): SendResponse {
    const { request, waId } = parsed;
    const wamid = createWamid(waId, 'outbound');
    const record = conversations.recordOutbound({
      wamid,
      waId,
      type: request.type,
      content: describeOutbound(request, template),
      ...(parsed.contextId === undefined ? {} : { contextId: parsed.contextId }),
    });
    const reference = { wamid, waId, ...(parsed.bizOpaqueCallbackData === undefined ? {} : { bizOpaqueCallbackData: parsed.bizOpaqueCallbackData }) };
    if (failure?.mode === 'status') options.statuses.scheduleFailure(reference, failure.code!, failure.details);
    else if (isOutsideWindow) options.statuses.scheduleFailure(reference, 131047);
    else options.statuses.scheduleLifecycle(reference, template ? (template.category.toLowerCase() as PricingCategory) : 'service');
    options.logger.debug({ seq: record.seq, type: request.type }, 'message accepted');
    return {
      messaging_product: 'whatsapp',
      contacts: [{ input: parsed.to, wa_id: waId }],
      messages: [{ id: wamid, ...(request.type === 'template' ? { message_status: 'accepted' as const } : {}) }],
    };
  }

  function markRead(body: unknown): SendOutcome {
    const parsed = parseGraphBody(markReadSchema, body);
    if (!parsed.ok) throw parsed.error;
    const inbound = conversations.findInbound(parsed.data.message_id);
    if (!inbound) throw invalidParameter('Param message_id does not refer to a message this number received.');
    inbound.isReadByBusiness = true;
    return { kind: 'answer', body: { success: true } };
  }

  return {
    send(body: unknown): SendOutcome {
      if (typeof body === 'object' && body !== null && 'status' in body) return markRead(body);
      const parsed = parseRequest(body);
      checkMediaReference(parsed.request);
      const template = parsed.request.type === 'template' ? options.templates.checkSendable(parsed.request.template) : undefined;
      // A failure is used up only by a send it decides; a send refused by the window or a limit leaves it queued.
      const failure = options.failures.peek(parsed.waId);
      if (failure?.mode === 'response') {
        options.failures.consume(failure.id);
        throw new GraphError(failure.code!, { ...(failure.httpStatus ? { httpStatus: failure.httpStatus } : {}), ...(failure.details ? { details: failure.details } : {}) });
      }
      if (failure?.mode === 'drop' && !failure.isAcceptedBeforeDrop) {
        options.failures.consume(failure.id);
        return { kind: 'drop' };
      }
      const isOutsideWindow = parsed.request.type !== 'template' && !conversations.isWindowOpen(parsed.waId);
      if (isOutsideWindow && options.windowViolation === 'error-response') throw new GraphError(131047);
      checkLimits(parsed.waId);
      if (failure) options.failures.consume(failure.id);
      const response = accept(parsed, template, failure, isOutsideWindow);
      return failure?.mode === 'drop' ? { kind: 'drop' } : { kind: 'answer', body: response };
    },
  };
}
