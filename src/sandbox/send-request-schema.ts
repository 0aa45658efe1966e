import { z } from 'zod';
import type { MediaKind } from './message-content.js';

/**
 * The body of `POST /<version>/<phone number id>/messages`, per message type, with Meta's
 * documented limits (lengths, counts). Unknown keys are tolerated, as Meta tolerates them.
 */

const httpsUrl = z.url({ protocol: /^https$/ });
const nonEmpty = z.string().min(1);
const custom = (detail: string) => ({ params: { detail } });

/** Meta accepts formatting characters in `to` and answers with the digits as `wa_id`. */
export function normaliseRecipient(to: string): string | null {
  const digits = to.trim().replace(/^\+/, '').replace(/[\s().-]/g, '');
  return /^\d{8,15}$/.test(digits) ? digits : null;
}

export const envelopeSchema = z.looseObject({
  messaging_product: z.literal('whatsapp'),
  recipient_type: z.literal('individual').optional(),
  to: z.string().refine((to) => normaliseRecipient(to) !== null, custom("Param to must be a phone number in international format (8 to 15 digits).")),
  type: z.string().default('text'),
  context: z.looseObject({ message_id: nonEmpty }).optional(),
  biz_opaque_callback_data: z.string().max(512).optional(),
});

export const markReadSchema = z.looseObject({
  messaging_product: z.literal('whatsapp'),
  status: z.literal('read'),
  message_id: nonEmpty,
  typing_indicator: z.looseObject({ type: z.literal('text') }).optional(),
});

const mediaReference = z
  .looseObject({
    id: nonEmpty.optional(),
    link: httpsUrl.optional(),
    caption: z.string().max(1024).optional(),
    filename: z.string().min(1).max(240).optional(),
  })
  .refine((media) => (media.id === undefined) !== (media.link === undefined), custom('Exactly one of id or link must be given for media.'));

function mediaSchemaFor(kind: MediaKind) {
  const canCaption = kind === 'image' || kind === 'video' || kind === 'document';
  return mediaReference
    .refine((media) => canCaption || media.caption === undefined, custom(`Param ${kind}['caption'] is not allowed for ${kind} messages.`))
    .refine((media) => kind === 'document' || media.filename === undefined, custom(`Param ${kind}['filename'] is only allowed for document messages.`));
}

const templateParameter = z
  .looseObject({
    type: z.enum(['text', 'currency', 'date_time', 'image', 'document', 'video', 'location', 'payload', 'coupon_code', 'action']),
    text: z.string().max(32_768).optional(),
  })
  .refine((parameter) => parameter.type !== 'text' || (parameter.text !== undefined && parameter.text !== ''), custom('Text parameters need a non-empty text.'));

const templateSchema = z.looseObject({
  name: z.string().min(1).max(512),
  language: z.looseObject({ code: z.string().min(2).max(15), policy: z.literal('deterministic').optional() }),
  components: z
    .array(
      z.looseObject({
        type: z.enum(['header', 'body', 'button', 'footer', 'carousel', 'limited_time_offer']),
        sub_type: z.string().optional(),
        index: z.union([z.string(), z.number().int()]).optional(),
        parameters: z.array(templateParameter).optional(),
      }),
    )
    .optional(),
});

const interactiveHeader = z.discriminatedUnion('type', [
  z.looseObject({ type: z.literal('text'), text: z.string().min(1).max(60) }),
  z.looseObject({ type: z.literal('image'), image: mediaReference }),
  z.looseObject({ type: z.literal('video'), video: mediaReference }),
  z.looseObject({ type: z.literal('document'), document: mediaReference }),
]);
const interactiveFooter = z.looseObject({ text: z.string().min(1).max(60) });

const buttonInteractive = z.looseObject({
  type: z.literal('button'),
  header: interactiveHeader.optional(),
  body: z.looseObject({ text: z.string().min(1).max(1024) }),
  footer: interactiveFooter.optional(),
  action: z.looseObject({
    buttons: z
      .array(z.looseObject({ type: z.literal('reply'), reply: z.looseObject({ id: z.string().min(1).max(256), title: z.string().min(1).max(20) }) }))
      .min(1)
      .max(3)
      .refine((buttons) => isUnique(buttons.map((button) => button.reply.id)), custom('Button ids must be unique.'))
      .refine((buttons) => isUnique(buttons.map((button) => button.reply.title)), custom('Button titles must be unique.')),
  }),
});

const listRow = z.looseObject({ id: z.string().min(1).max(200), title: z.string().min(1).max(24), description: z.string().max(72).optional() });
const listInteractive = z.looseObject({
  type: z.literal('list'),
  header: z.looseObject({ type: z.literal('text'), text: z.string().min(1).max(60) }).optional(),
  body: z.looseObject({ text: z.string().min(1).max(4096) }),
  footer: interactiveFooter.optional(),
  action: z.looseObject({
    button: z.string().min(1).max(20),
    sections: z
      .array(z.looseObject({ title: z.string().min(1).max(24).optional(), rows: z.array(listRow).min(1).max(10) }))
      .min(1)
      .max(10)
      .refine((sections) => sections.flatMap((section) => section.rows).length <= 10, custom('A list message has at most 10 rows in all.'))
      .refine((sections) => sections.length === 1 || sections.every((section) => section.title !== undefined), custom('Each section needs a title when there are several.'))
      .refine((sections) => isUnique(sections.flatMap((section) => section.rows.map((row) => row.id))), custom('Row ids must be unique.')),
  }),
});

const ctaUrlInteractive = z.looseObject({
  type: z.literal('cta_url'),
  header: interactiveHeader.optional(),
  body: z.looseObject({ text: z.string().min(1).max(1024) }),
  footer: interactiveFooter.optional(),
  action: z.looseObject({
    name: z.literal('cta_url'),
    parameters: z.looseObject({ display_text: z.string().min(1).max(20), url: httpsUrl }),
  }),
});

/** Types the emulator accepts without checking their inner structure (not simulated further). */
const passThroughInteractive = z.looseObject({
  type: z.enum(['flow', 'product', 'product_list', 'catalog_message', 'location_request_message', 'address_message', 'call_permission_request']),
  body: z.looseObject({ text: z.string().min(1).max(4096) }).optional(),
  action: z.looseObject({}),
});

const interactiveSchema = z.discriminatedUnion('type', [buttonInteractive, listInteractive, ctaUrlInteractive, passThroughInteractive]);

const contactSchema = z.looseObject({
  name: z.looseObject({ formatted_name: nonEmpty, first_name: z.string().optional(), last_name: z.string().optional() }),
  phones: z.array(z.looseObject({ phone: z.string().optional(), wa_id: z.string().optional(), type: z.string().optional() })).optional(),
  emails: z.array(z.looseObject({ email: z.string().optional(), type: z.string().optional() })).optional(),
});

/** Each type's own object, keyed by the type name as in the request (`{type:"text", text:{…}}`). */
export const typeSchemas = {
  text: z.looseObject({ text: z.looseObject({ body: z.string().min(1).max(4096), preview_url: z.boolean().optional() }) }),
  template: z.looseObject({ template: templateSchema }),
  interactive: z.looseObject({ interactive: interactiveSchema }),
  image: z.looseObject({ image: mediaSchemaFor('image') }),
  video: z.looseObject({ video: mediaSchemaFor('video') }),
  audio: z.looseObject({ audio: mediaSchemaFor('audio') }),
  document: z.looseObject({ document: mediaSchemaFor('document') }),
  sticker: z.looseObject({ sticker: mediaSchemaFor('sticker') }),
  reaction: z.looseObject({ reaction: z.looseObject({ message_id: nonEmpty, emoji: z.string().max(16) }) }),
  location: z.looseObject({
    location: z.looseObject({
      latitude: z.number().min(-90).max(90),
      longitude: z.number().min(-180).max(180),
      name: z.string().max(1000).optional(),
      address: z.string().max(1000).optional(),
    }),
  }),
  contacts: z.looseObject({ contacts: z.array(contactSchema).min(1) }),
};

export type SendableType = keyof typeof typeSchemas;
export const sendableTypes = Object.keys(typeSchemas) as SendableType[];

export function isSendableType(type: string): type is SendableType {
  return Object.hasOwn(typeSchemas, type);
}

export type TypedSendRequest = {
  [T in SendableType]: { type: T } & z.output<typeof typeSchemas[T]>;
}[SendableType];
export type TemplateRequest = z.output<typeof templateSchema>;
export type InteractiveRequest = z.output<typeof interactiveSchema>;

function isUnique(values: readonly string[]): boolean {
  return new Set(values).size === values.length;
}
