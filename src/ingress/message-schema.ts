import { z } from 'zod';
import {
  anyObject,
  checkVariant,
  cloudApiErrorSchema,
  nonEmptyText,
  numberLike,
  text,
  toVariantMap,
  unixSeconds,
} from './schema-primitives.js';
import type { VariantTable } from './schema-primitives.js';

/** Schema of one webhook message: common fields plus the object its (known) type adds. */

const mediaSchema = z.looseObject({
  id: nonEmptyText,
  mime_type: text,
  // Documented as always present, but nothing here relies on it: refusing a message for its absence would lose it.
  sha256: text.optional(),
  caption: text.optional(),
  filename: text.optional(),
  url: text.optional(),
  voice: z.boolean().optional(),
  animated: z.boolean().optional(),
});

const contactCardSchema = z.looseObject({
  name: z.looseObject({
    formatted_name: text.optional(),
    first_name: text.optional(),
    last_name: text.optional(),
    middle_name: text.optional(),
    suffix: text.optional(),
    prefix: text.optional(),
  }),
  phones: z.array(z.looseObject({ phone: text.optional(), wa_id: text.optional(), type: text.optional() })).optional(),
  emails: z.array(z.looseObject({ email: text.optional(), type: text.optional() })).optional(),
  addresses: z
    .array(
      z.looseObject({
        street: text.optional(),
        city: text.optional(),
        state: text.optional(),
        zip: text.optional(),
        country: text.optional(),
        country_code: text.optional(),
        type: text.optional(),
      }),
    )
    .optional(),
  org: z.looseObject({ company: text.optional(), department: text.optional(), title: text.optional() }).optional(),
  urls: z.array(z.looseObject({ url: text.optional(), type: text.optional() })).optional(),
  birthday: text.optional(),
});

const interactiveReplySchemas = {
  button_reply: z.looseObject({ button_reply: z.looseObject({ id: text, title: text }) }),
  list_reply: z.looseObject({
    list_reply: z.looseObject({ id: text, title: text, description: text.optional() }),
  }),
  // Flows and address messages: response_json is a JSON string the customer's form produced.
  nfm_reply: z.looseObject({
    nfm_reply: z.looseObject({ response_json: text, body: text.optional(), name: text.optional() }),
  }),
  call_permission_reply: z.looseObject({
    call_permission_reply: z.looseObject({ response: text, expiration_timestamp: unixSeconds.optional() }),
  }),
} satisfies VariantTable;
const interactiveReplyVariants = toVariantMap(interactiveReplySchemas);

const interactiveSchema = z.looseObject({ type: nonEmptyText }).superRefine((interactive, ctx) => {
  checkVariant(interactiveReplyVariants, interactive.type, interactive, ctx);
});

const editedMessageSchema = z.looseObject({ type: text.optional() });

/** Per message type, the part of the message that type adds; applied to the whole message. */
const messageTypeSchemas = {
  text: z.looseObject({ text: z.looseObject({ body: text }) }),
  image: z.looseObject({ image: mediaSchema }),
  video: z.looseObject({ video: mediaSchema }),
  audio: z.looseObject({ audio: mediaSchema }),
  document: z.looseObject({ document: mediaSchema }),
  sticker: z.looseObject({ sticker: mediaSchema }),
  location: z.looseObject({
    location: z.looseObject({
      latitude: z.number(),
      longitude: z.number(),
      name: text.optional(),
      address: text.optional(),
      url: text.optional(),
    }),
  }),
  contacts: z.looseObject({ contacts: z.array(contactCardSchema) }),
  interactive: z.looseObject({ interactive: interactiveSchema }),
  button: z.looseObject({ button: z.looseObject({ payload: text, text }) }),
  // An empty or absent emoji means the customer removed their reaction.
  reaction: z.looseObject({ reaction: z.looseObject({ message_id: nonEmptyText, emoji: text.optional() }) }),
  order: z.looseObject({
    order: z.looseObject({
      catalog_id: text,
      text: text.optional(),
      product_items: z.array(
        z.looseObject({ product_retailer_id: text, quantity: numberLike, item_price: numberLike, currency: text }),
      ),
    }),
  }),
  system: z.looseObject({
    system: z.looseObject({
      body: text.optional(),
      type: text.optional(),
      wa_id: text.optional(),
      new_wa_id: z.union([text, z.number()]).optional(),
      customer: text.optional(),
      identity: text.optional(),
      user_id: text.optional(),
      parent_user_id: text.optional(),
      previous_user_id: text.optional(),
      previous_parent_user_id: text.optional(),
    }),
  }),
  edit: z.looseObject({
    edit: z.looseObject({ original_message_id: nonEmptyText, message: editedMessageSchema.optional() }),
  }),
  revoke: z.looseObject({ revoke: z.looseObject({ original_message_id: nonEmptyText }) }),
  request_welcome: anyObject,
  unsupported: z.looseObject({
    unsupported: z.looseObject({ type: text.optional() }).optional(),
    errors: z.array(cloudApiErrorSchema).optional(),
  }),
  // Older API versions name unsupported messages "unknown".
  unknown: z.looseObject({ errors: z.array(cloudApiErrorSchema).optional() }),
} satisfies VariantTable;
const messageTypeVariants = toVariantMap(messageTypeSchemas);

export type KnownMessageType = keyof typeof messageTypeSchemas;
export const knownMessageTypes: ReadonlySet<string> = new Set(Object.keys(messageTypeSchemas));

const messageContextSchema = z.looseObject({
  from: text.optional(),
  id: text.optional(),
  forwarded: z.boolean().optional(),
  frequently_forwarded: z.boolean().optional(),
  referred_product: z.looseObject({ catalog_id: text, product_retailer_id: text }).optional(),
});

/** Click-to-WhatsApp ad attribution. */
const referralSchema = z.looseObject({
  source_url: text.optional(),
  source_id: text.optional(),
  source_type: text.optional(),
  headline: text.optional(),
  body: text.optional(),
  media_type: text.optional(),
  image_url: text.optional(),
  video_url: text.optional(),
  thumbnail_url: text.optional(),
  ctwa_clid: text.optional(),
  welcome_message: z.looseObject({ text: text.optional() }).optional(),
});

const identitySchema = z.looseObject({
  acknowledged: z.boolean().optional(),
  created_timestamp: unixSeconds.optional(),
  hash: text.optional(),
});

export const messageSchema = z
  .looseObject({
    from: nonEmptyText.optional(),
    from_user_id: nonEmptyText.optional(),
    from_parent_user_id: text.optional(),
    group_id: text.optional(),
    id: nonEmptyText,
    timestamp: unixSeconds,
    type: nonEmptyText,
    context: messageContextSchema.optional(),
    referral: referralSchema.optional(),
    errors: z.array(cloudApiErrorSchema).optional(),
    identity: identitySchema.optional(),
  })
  .superRefine((message, ctx) => {
    // Customers may be known only by a business-scoped user id, but never by nothing.
    if (message.from === undefined && message.from_user_id === undefined) {
      ctx.addIssue({ code: 'custom', path: ['from'], params: { expected: 'from or from_user_id' } });
    }
    checkVariant(messageTypeVariants, message.type, message, ctx);
  });

export type WebhookMessage = z.output<typeof messageSchema>;
export type TypedWebhookMessage<T extends KnownMessageType> = WebhookMessage & { type: T } & z.output<
    (typeof messageTypeSchemas)[T]
  >;

/** Narrows a message of a parsed payload to its type's documented structure. */
export function isMessageOfType<T extends KnownMessageType>(
  message: WebhookMessage,
  type: T,
): message is TypedWebhookMessage<T> {
  return message.type === type;
}

