import { parsePhoneNumberWithError } from 'libphonenumber-js';
import { z } from 'zod';

/**
 * The body of `POST /api/v1/messages`: the Cloud API's own message shape (so a service that
 * already talks to Meta can switch to Rampart), validated before anything is stored.
 */

const httpsUrl = z.url({ protocol: /^https$/, hostname: z.regexes.domain }).max(2_000);
const shortText = (max: number) => z.string().trim().min(1).max(max);

export const recipientSchema = z
  .string()
  .max(32)
  .refine(isPossiblePhoneNumber, { message: 'must be a phone number in international form, e.g. +4915112345678' })
  .describe('The customer, in international (E.164) form.');

const mediaSchema = z
  .object({
    id: z.string().regex(/^\d{1,32}$/).optional().describe('A media id from the upload endpoint.'),
    link: httpsUrl.optional().describe('An https URL Meta fetches the media from.'),
    caption: z.string().max(1_024).optional(),
    filename: z.string().max(240).optional(),
  })
  .strict()
  .refine((media) => (media.id === undefined) !== (media.link === undefined), { message: 'give exactly one of id or link' });

const templateParameterSchema = z.union([
  z.object({ type: z.literal('text'), text: z.string().min(1).max(1_024) }).strict(),
  z.object({ type: z.literal('currency'), currency: z.object({ fallback_value: z.string().max(100), code: z.string().length(3), amount_1000: z.number().int() }).strict() }).strict(),
  z.object({ type: z.literal('date_time'), date_time: z.object({ fallback_value: z.string().max(100) }).strict() }).strict(),
  z.object({ type: z.enum(['image', 'video', 'document']), image: mediaSchema.optional(), video: mediaSchema.optional(), document: mediaSchema.optional() }).strict(),
  z.object({ type: z.literal('payload'), payload: z.string().max(1_000) }).strict(),
]);

const templateSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9_]{1,512}$/, { message: 'template names are lowercase letters, digits and _' }),
    language: z.object({ code: z.string().regex(/^[a-z]{2,3}(_[A-Z]{2})?$/, { message: 'a language code such as en_US' }), policy: z.literal('deterministic').optional() }).strict(),
    components: z
      .array(
        z
          .object({
            type: z.enum(['header', 'body', 'button']),
            sub_type: z.enum(['quick_reply', 'url', 'copy_code']).optional(),
            index: z.union([z.string().regex(/^\d$/), z.number().int().min(0).max(9)]).optional(),
            parameters: z.array(templateParameterSchema).max(20),
          })
          .strict(),
      )
      .max(12)
      .optional(),
  })
  .strict();

const interactiveSchema = z
  .object({
    type: z.enum(['button', 'list', 'cta_url']),
    header: z.object({ type: z.literal('text'), text: shortText(60) }).strict().optional(),
    body: z.object({ text: shortText(1_024) }).strict(),
    footer: z.object({ text: shortText(60) }).strict().optional(),
    action: z.record(z.string(), z.unknown()),
  })
  .strict();

const common = {
  to: recipientSchema,
  context: z.object({ message_id: z.string().min(1).max(200) }).strict().optional().describe('Reply to this message (a wamid).'),
  biz_opaque_callback_data: z.string().max(512).optional(),
};

export const sendMessageRequestSchema = z.discriminatedUnion('type', [
  z.object({ ...common, type: z.literal('text'), text: z.object({ body: z.string().min(1).max(4_096), preview_url: z.boolean().optional() }).strict() }).strict(),
  z.object({ ...common, type: z.literal('template'), template: templateSchema }).strict(),
  z.object({ ...common, type: z.literal('interactive'), interactive: interactiveSchema }).strict(),
  z.object({ ...common, type: z.literal('image'), image: mediaSchema }).strict(),
  z.object({ ...common, type: z.literal('video'), video: mediaSchema }).strict(),
  z.object({ ...common, type: z.literal('audio'), audio: mediaSchema }).strict(),
  z.object({ ...common, type: z.literal('document'), document: mediaSchema }).strict(),
  z.object({ ...common, type: z.literal('sticker'), sticker: mediaSchema }).strict(),
  z.object({ ...common, type: z.literal('reaction'), reaction: z.object({ message_id: z.string().min(1).max(200), emoji: z.string().max(16) }).strict() }).strict(),
  z
    .object({
      ...common,
      type: z.literal('location'),
      location: z.object({ latitude: z.number().min(-90).max(90), longitude: z.number().min(-180).max(180), name: z.string().max(1_000).optional(), address: z.string().max(1_000).optional() }).strict(),
    })
    .strict(),
]);

export type SendMessageRequest = z.infer<typeof sendMessageRequestSchema>;

export const outboundStatuses = ['queued', 'sent', 'delivered', 'read', 'played', 'failed', 'deleted'] as const;

export const messageStatusResponseSchema = z.object({
  id: z.string(),
  type: z.string(),
  template: z.string().nullable(),
  status: z.enum(outboundStatuses),
  error: z.object({ code: z.number().nullable(), reason: z.string() }).nullable(),
  createdAt: z.string(),
  sentAt: z.string().nullable(),
  statusAt: z.string().nullable(),
});

export type MessageStatusResponse = z.infer<typeof messageStatusResponseSchema>;

/** Phone number to the digits Meta calls a wa_id ("+49 151 …" → "49151…"); null when it cannot be a number. */
export function toWaId(phone: string): string | null {
  try {
    const parsed = parsePhoneNumberWithError(phone.trim().startsWith('+') ? phone.trim() : `+${phone.trim()}`);
    return parsed.isPossible() ? parsed.number.slice(1) : null;
  } catch {
    return null;
  }
}

function isPossiblePhoneNumber(phone: string): boolean {
  return toWaId(phone) !== null;
}
