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

import {
  anyObject,
  checkVariant,
  cloudApiErrorSchema,
  idLike,
  maxReportedProblems,
  metadataSchema,
  nonEmptyText,
  objectList,
  text,
  toVariantMap,
  unixSeconds,
  webhookContactSchema,
} from './schema-primitives.js';
import type { VariantTable } from './schema-primitives.js';
import { messageSchema } from './message-schema.js';

export { isMessageOfType, knownMessageTypes } from './message-schema.js';
export type { KnownMessageType, TypedWebhookMessage, WebhookMessage } from './message-schema.js';

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
