import { z } from 'zod';

/**
 * Schema of the Cloud API webhook envelope (see shared/cloud-api/README.md and Meta's webhook reference).
 *
 * Invariants:
 * - Every object keeps keys we do not know (`z.looseObject`): nothing Meta adds is lost.
 * - A message `type` or change `field` we do not know is accepted as-is; a known one whose own
 *   object is malformed is refused, so downstream code can rely on the documented structure.
 * - Refusal reasons are built from the issue path and the schema only, never from input values.
 */

/** Largest accepted unix-seconds value (11 digits, year 5138): a longer number is not seconds. */
const maxUnixSeconds = 99_999_999_999;
const maxReportedProblems = 5;

function isUnixSeconds(value: unknown): value is string | number {
  if (typeof value === 'string') return /^\d{1,11}$/.test(value);
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 && value <= maxUnixSeconds;
}

function isNumberLike(value: unknown): value is string | number {
  if (typeof value === 'number') return Number.isFinite(value);
  return typeof value === 'string' && /^-?\d{1,15}(\.\d{1,15})?$/.test(value);
}

function isIdLike(value: unknown): value is string | number {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0;
  return typeof value === 'string' && value.length > 0;
}

/** Converts a timestamp this schema accepted (unix seconds) into epoch milliseconds. */
export function unixSecondsToMs(value: string | number): number {
  return Number(value) * 1000;
}

const text = z.string();
const nonEmptyText = z.string().min(1);
const unixSeconds = z.custom<string | number>(isUnixSeconds, {
  params: { expected: 'unix seconds (a string of digits)' },
});
const numberLike = z.custom<string | number>(isNumberLike, { params: { expected: 'a number' } });
const idLike = z.custom<string | number>(isIdLike, { params: { expected: 'an id (string or integer)' } });
const anyObject = z.looseObject({});
const objectList = z.array(anyObject);

/** Error objects appear on messages, statuses and change values alike. */
const cloudApiErrorSchema = z.looseObject({
  code: z.number().int(),
  title: text.optional(),
  message: text.optional(),
  error_data: z.looseObject({ details: text.optional() }).optional(),
  href: text.optional(),
});

const metadataSchema = z.looseObject({
  display_phone_number: text,
  phone_number_id: nonEmptyText,
});

const webhookContactSchema = z.looseObject({
  profile: z.looseObject({ name: text.optional(), username: text.optional() }).optional(),
  wa_id: text.optional(),
  user_id: text.optional(),
  parent_user_id: text.optional(),
  identity_key_hash: text.optional(),
});

// ---------------------------------------------------------------------------------------------
// Dispatch by a discriminating key with an open set of values: known values must match their
// schema, unknown ones pass. zod's discriminatedUnion cannot express the open fallback.

type VariantTable = Readonly<Record<string, z.ZodType>>;

function toVariantMap(table: VariantTable): ReadonlyMap<string, z.ZodType> {
  // A Map, not property lookup, so a discriminator such as "constructor" finds nothing.
  return new Map(Object.entries(table));
}

function checkVariant(
  variants: ReadonlyMap<string, z.ZodType>,
  discriminator: string,
  target: unknown,
  ctx: z.core.$RefinementCtx,
  pathPrefix: readonly PropertyKey[] = [],
): void {
  const schema = variants.get(discriminator);
  if (schema === undefined) return;
  const result = schema.safeParse(target);
  if (result.success) return;
  for (const issue of result.error.issues) {
    ctx.addIssue({ ...issue, path: [...pathPrefix, ...issue.path] });
  }
}

// ---------------------------------------------------------------------------------------------
// Messages

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

const messageSchema = z
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

// ---------------------------------------------------------------------------------------------
// Statuses

const statusSchema = z.looseObject({
  id: nonEmptyText,
  // Kept open: Meta adds statuses (played, deleted, …) and order logic lives downstream.
  status: nonEmptyText,
  timestamp: unixSeconds,
  recipient_id: text.optional(),
  recipient_user_id: text.optional(),
  parent_recipient_user_id: text.optional(),
  recipient_type: text.optional(),
  conversation: z
    .looseObject({
      id: text,
      expiration_timestamp: unixSeconds.optional(),
      origin: z.looseObject({ type: text }).optional(),
    })
    .optional(),
  pricing: z
    .looseObject({
      billable: z.boolean().optional(),
      pricing_model: text.optional(),
      category: text.optional(),
      type: text.optional(),
    })
    .optional(),
  errors: z.array(cloudApiErrorSchema).optional(),
  biz_opaque_callback_data: text.optional(),
});

export type WebhookStatus = z.output<typeof statusSchema>;

// ---------------------------------------------------------------------------------------------
// Change values, per field

const phoneScopedValueShape = {
  messaging_product: z.literal('whatsapp'),
  metadata: metadataSchema,
};

const messagesValueSchema = z.looseObject({
  ...phoneScopedValueShape,
  contacts: z.array(webhookContactSchema).optional(),
  messages: z.array(messageSchema).optional(),
  statuses: z.array(statusSchema).optional(),
  errors: z.array(cloudApiErrorSchema).optional(),
});

const userPreferenceSchema = z
  .looseObject({
    wa_id: nonEmptyText.optional(),
    user_id: nonEmptyText.optional(),
    detail: text.optional(),
    category: text,
    value: z.enum(['stop', 'resume']),
    timestamp: unixSeconds,
  })
  .superRefine((preference, ctx) => {
    if (preference.wa_id === undefined && preference.user_id === undefined) {
      ctx.addIssue({ code: 'custom', path: ['wa_id'], params: { expected: 'wa_id or user_id' } });
    }
  });

const templateIdentityShape = {
  message_template_id: idLike,
  message_template_name: text,
  message_template_language: text,
};

const fieldValueSchemas = {
  messages: messagesValueSchema,
  user_preferences: z.looseObject({
    ...phoneScopedValueShape,
    contacts: z.array(webhookContactSchema).optional(),
    user_preferences: z.array(userPreferenceSchema),
  }),
  message_template_status_update: z.looseObject({
    ...templateIdentityShape,
    event: nonEmptyText,
    reason: text.nullable().optional(),
    message_template_category: text.optional(),
    disable_info: z.looseObject({ disable_date: text.optional() }).optional(),
    other_info: z.looseObject({ title: text.optional(), description: text.optional() }).optional(),
  }),
  message_template_quality_update: z.looseObject({
    ...templateIdentityShape,
    previous_quality_score: text.optional(),
    new_quality_score: text,
  }),
  message_template_components_update: z.looseObject(templateIdentityShape),
  template_category_update: z.looseObject({
    ...templateIdentityShape,
    previous_category: text.optional(),
    new_category: text.optional(),
    correct_category: text.optional(),
  }),
  account_update: z.looseObject({
    event: nonEmptyText,
    phone_number: text.optional(),
    ban_info: z.looseObject({ waba_ban_state: text.optional(), waba_ban_date: text.optional() }).optional(),
    restriction_info: z
      .array(z.looseObject({ restriction_type: text.optional(), expiration: z.union([text, z.number()]).optional() }))
      .optional(),
    violation_info: anyObject.optional(),
  }),
  account_review_update: z.looseObject({ decision: nonEmptyText }),
  account_alerts: z.looseObject({
    entity_type: text.optional(),
    entity_id: idLike.optional(),
    alert_info: anyObject.optional(),
  }),
  phone_number_quality_update: z.looseObject({
    display_phone_number: text,
    event: nonEmptyText,
    current_limit: text.optional(),
    old_limit: text.optional(),
  }),
  phone_number_name_update: z.looseObject({
    display_phone_number: text,
    decision: nonEmptyText,
    requested_verified_name: text.optional(),
    rejection_reason: text.nullable().optional(),
  }),
  business_capability_update: z.looseObject({
    max_daily_conversation_per_phone: z.number().optional(),
    max_phone_numbers_per_business: z.number().optional(),
    max_phone_numbers_per_waba: z.number().optional(),
  }),
  security: z.looseObject({ display_phone_number: text.optional(), event: nonEmptyText, requester: text.optional() }),
  flows: z.looseObject({ event: nonEmptyText, flow_id: idLike.optional(), message: text.optional() }),
  // Phone-scoped fields whose inner records we store without relying on their structure.
  history: z.looseObject({ ...phoneScopedValueShape, history: objectList.optional() }),
  smb_message_echoes: z.looseObject({ ...phoneScopedValueShape, message_echoes: objectList.optional() }),
  smb_app_state_sync: z.looseObject({ ...phoneScopedValueShape, state_sync: objectList.optional() }),
  calls: z.looseObject({
    ...phoneScopedValueShape,
    contacts: z.array(webhookContactSchema).optional(),
    calls: objectList.optional(),
    statuses: objectList.optional(),
    errors: z.array(cloudApiErrorSchema).optional(),
  }),
} satisfies VariantTable;
const fieldValueVariants = toVariantMap(fieldValueSchemas);

export type KnownField = keyof typeof fieldValueSchemas;
export const knownFields: ReadonlySet<string> = new Set(Object.keys(fieldValueSchemas));

const changeSchema = z
  .looseObject({ field: nonEmptyText, value: anyObject })
  .superRefine((change, ctx) => {
    checkVariant(fieldValueVariants, change.field, change.value, ctx, ['value']);
  });

export type WebhookChange = z.output<typeof changeSchema>;
export type KnownFieldChange<F extends KnownField> = WebhookChange & {
  field: F;
  value: z.output<(typeof fieldValueSchemas)[F]>;
};
export type MessagesChangeValue = z.output<typeof messagesValueSchema>;

/** Narrows a change of a parsed payload to its field's documented value structure. */
export function isChangeOfField<F extends KnownField>(change: WebhookChange, field: F): change is KnownFieldChange<F> {
  return change.field === field;
}

const entrySchema = z.looseObject({
  id: nonEmptyText,
  time: unixSeconds.optional(),
  changes: z.array(changeSchema),
});

export const webhookPayloadSchema = z.looseObject({
  object: z.literal('whatsapp_business_account'),
  entry: z.array(entrySchema),
});

export type WebhookPayload = z.output<typeof webhookPayloadSchema>;
export type WebhookEntry = z.output<typeof entrySchema>;

// ---------------------------------------------------------------------------------------------
// Parsing and reasons

export type ParseWebhookResult = { ok: true; payload: WebhookPayload } | { ok: false; reason: string };

/**
 * Validates an already JSON-parsed body. Never throws. On failure the reason lists at most
 * five problems as `path: expectation`, built from the schema alone so no input value leaks.
 */
export function parseWebhookPayload(json: unknown): ParseWebhookResult {
  try {
    const result = webhookPayloadSchema.safeParse(json);
    if (result.success) return { ok: true, payload: result.data };
    return { ok: false, reason: describeIssues(result.error.issues) };
  } catch {
    // Defensive: exotic inputs (getters, proxies) must become a refusal, not a crash.
    return { ok: false, reason: 'payload: could not be validated' };
  }
}

function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  const described = issues.slice(0, maxReportedProblems).map((issue) => `${formatPath(issue.path)}: ${describeIssue(issue)}`);
  const hidden = issues.length - described.length;
  if (hidden > 0) described.push(`and ${hidden} more problem${hidden === 1 ? '' : 's'}`);
  return described.length > 0 ? described.join('; ') : 'payload: is invalid';
}

const safePathKey = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/** Formats `["entry", 0, "changes"]` as `entry[0].changes`; any key that is not a plain name is masked. */
function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return 'payload';
  let formatted = '';
  for (const key of path) {
    if (typeof key === 'number') formatted += `[${key}]`;
    else if (typeof key === 'string' && safePathKey.test(key)) formatted += formatted === '' ? key : `.${key}`;
    else formatted += '[?]';
  }
  return formatted;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return `expected ${issue.expected}`;
    case 'invalid_value':
      return `expected ${issue.values.map((value) => JSON.stringify(String(value))).join(' or ')}`;
    case 'too_small':
      return `expected at least ${String(issue.minimum)} ${unitOf(issue.origin)}`;
    case 'too_big':
      return `expected at most ${String(issue.maximum)} ${unitOf(issue.origin)}`;
    case 'invalid_format':
      return `expected ${issue.format} format`;
    case 'custom': {
      const expected: unknown = issue.params?.['expected'];
      return typeof expected === 'string' ? `expected ${expected}` : 'is invalid';
    }
    case 'invalid_union':
      return 'matches none of the allowed shapes';
    case 'unrecognized_keys':
      return 'has unexpected keys';
    default:
      return 'is invalid';
  }
}

function unitOf(origin: string): string {
  if (origin === 'string') return 'character(s)';
  if (origin === 'array' || origin === 'set') return 'item(s)';
  return '(value)';
}

// ---------------------------------------------------------------------------------------------
// Depth guard

const openBrace = 0x7b;
const closeBrace = 0x7d;
const openBracket = 0x5b;
const closeBracket = 0x5d;
const quote = 0x22;
const backslash = 0x5c;

/**
 * Returns false when arrays/objects in the raw JSON nest deeper than `limit` (a top-level
 * object is depth 1). One linear pass over the bytes, so a hostile body is refused before
 * JSON.parse recurses into it. Brackets inside strings do not count.
 */
export function measureJsonDepth(raw: Buffer, limit: number): boolean {
  let depth = 0;
  let isInString = false;
  for (let index = 0; index < raw.length; index += 1) {
    const byte = raw[index];
    if (isInString) {
      if (byte === backslash) index += 1; // skip the escaped byte, whatever it is (\" or \\)
      else if (byte === quote) isInString = false;
      continue;
    }
    if (byte === quote) isInString = true;
    else if (byte === openBrace || byte === openBracket) {
      depth += 1;
      if (depth > limit) return false;
    } else if (byte === closeBrace || byte === closeBracket) {
      depth -= 1;
    }
  }
  return true;
}
