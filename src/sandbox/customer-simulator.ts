import { z } from 'zod';
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import type { ConversationStore } from './conversation-store.js';
import { createWamid } from './identifiers.js';
import type { MediaStore } from './media-store.js';
import type { MessageContent } from './message-content.js';
import { normaliseRecipient } from './send-request-schema.js';
import type { DeliveryOutcome } from './webhook-delivery.js';
import { buildMessagesWebhook, toUnixSeconds } from './webhook-payloads.js';
import type { BusinessNumber } from './webhook-payloads.js';

const phoneNumber = z.string().transform((value, ctx) => {
  const waId = normaliseRecipient(value);
  if (waId === null) ctx.addIssue({ code: 'custom', message: 'must be a phone number in international format: 8 to 15 digits, "+" optional' });
  return waId ?? '';
});

/** What a customer does: write text, tap a reply button or list row, or send a file. */
export const customerActionSchema = z
  .strictObject({
    from: phoneNumber,
    name: z.string().min(1).max(256).optional(),
    text: z.string().min(1).max(65_536).optional(),
    reply: z
      .strictObject({
        type: z.enum(['button_reply', 'list_reply']),
        id: z.string().min(1).max(256),
        title: z.string().min(1).max(256),
        description: z.string().max(256).optional(),
        /** The business message whose button was tapped (becomes `context.id`). */
        messageId: z.string().min(1).optional(),
      })
      .optional(),
    media: z
      .strictObject({
        mimeType: z.string().min(1),
        dataBase64: z.base64(),
        caption: z.string().max(1024).optional(),
        filename: z.string().min(1).max(240).optional(),
      })
      .optional(),
  })
  .refine((action) => [action.text, action.reply, action.media].filter((part) => part !== undefined).length === 1, {
    message: 'give exactly one of text, reply or media',
  });

export type CustomerAction = z.input<typeof customerActionSchema>;

export interface CustomerMessageResult {
  wamid: string;
  /** The first delivery attempt; retries go on in the background when it was not a 200. */
  delivery: DeliveryOutcome;
}

export interface CustomerSimulatorOptions {
  number: BusinessNumber;
  clock: Clock;
  logger: Logger;
  conversations: ConversationStore;
  media: MediaStore;
  deliver(payload: object): Promise<DeliveryOutcome>;
}

export type CustomerSimulator = ReturnType<typeof createCustomerSimulator>;

/** Plays the customers' phones: builds Meta's `messages` webhook, opens the window, delivers it. */
export function createCustomerSimulator(options: CustomerSimulatorOptions) {
  const { number, conversations } = options;

  /** The message's type-specific part and what the page shows for it. */
  function describe(action: z.output<typeof customerActionSchema>): { type: string; part: object; content: MessageContent; contextId?: string } {
    if (action.reply) {
      const { type, id, title, description, messageId } = action.reply;
      const reply = { id, title, ...(description === undefined ? {} : { description }) };
      return {
        type: 'interactive',
        part: { interactive: { type, [type]: reply } },
        content: { kind: 'reply', replyType: type, ...reply },
        ...(messageId === undefined ? {} : { contextId: messageId }),
      };
    }
    if (action.media) {
      const { mimeType, dataBase64, caption, filename } = action.media;
      // Throws Meta's 131053 for an unsupported type or an oversized file, as an upload would.
      const stored = options.media.add({ bytes: Buffer.from(dataBase64, 'base64'), mimeType, ...(filename === undefined ? {} : { filename }) });
      const extras = { ...(caption === undefined ? {} : { caption }), ...(filename === undefined || stored.kind !== 'document' ? {} : { filename }) };
      return {
        type: stored.kind,
        part: { [stored.kind]: { ...extras, mime_type: stored.mimeType, sha256: stored.sha256, id: stored.id } },
        content: { kind: 'media', mediaType: stored.kind, mediaId: stored.id, ...extras },
      };
    }
    return { type: 'text', part: { text: { body: action.text! } }, content: { kind: 'text', text: action.text! } };
  }

  return {
    /** Throws a ZodError for invalid input (the caller's mistake), GraphError 131053 for bad media. */
    async act(input: unknown): Promise<CustomerMessageResult> {
      const action = customerActionSchema.parse(input);
      const waId = action.from;
      const { type, part, content, contextId } = describe(action);
      const wamid = createWamid(waId, 'inbound');
      const record = conversations.recordInbound({ wamid, waId, content, ...(action.name === undefined ? {} : { name: action.name }), ...(contextId === undefined ? {} : { contextId }) });
      const name = conversations.viewConversation(waId)?.name ?? 'Customer';
      const message = {
        ...(contextId === undefined ? {} : { context: { from: number.displayPhoneNumber, id: contextId } }),
        from: waId,
        id: wamid,
        timestamp: toUnixSeconds(record.at),
        type,
        ...part,
      };
      const payload = buildMessagesWebhook(number, { contacts: [{ profile: { name }, wa_id: waId }], messages: [message] });
      const delivery = await options.deliver(payload);
      options.logger.debug({ seq: record.seq, type, status: delivery.status }, 'customer message delivered');
      return { wamid, delivery };
    },
  };
}
