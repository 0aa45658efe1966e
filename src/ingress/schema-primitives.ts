import { z } from 'zod';

/** Building blocks shared by the message and envelope schemas. */

/** Largest accepted unix-seconds value (11 digits, year 5138): a longer number is not seconds. */
const maxUnixSeconds = 99_999_999_999;
export const maxReportedProblems = 5;

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

export const text = z.string();
export const nonEmptyText = z.string().min(1);
export const unixSeconds = z.custom<string | number>(isUnixSeconds, {
  params: { expected: 'unix seconds (a string of digits)' },
});
export const numberLike = z.custom<string | number>(isNumberLike, { params: { expected: 'a number' } });
export const idLike = z.custom<string | number>(isIdLike, { params: { expected: 'an id (string or integer)' } });
export const anyObject = z.looseObject({});
export const objectList = z.array(anyObject);

/** Error objects appear on messages, statuses and change values alike. */
export const cloudApiErrorSchema = z.looseObject({
  code: z.number().int(),
  title: text.optional(),
  message: text.optional(),
  error_data: z.looseObject({ details: text.optional() }).optional(),
  href: text.optional(),
});

export const metadataSchema = z.looseObject({
  display_phone_number: text,
  phone_number_id: nonEmptyText,
});

export const webhookContactSchema = z.looseObject({
  profile: z.looseObject({ name: text.optional(), username: text.optional() }).optional(),
  wa_id: text.optional(),
  user_id: text.optional(),
  parent_user_id: text.optional(),
  identity_key_hash: text.optional(),
});

// ---------------------------------------------------------------------------------------------
// Dispatch by a discriminating key with an open set of values: known values must match their
// schema, unknown ones pass. zod's discriminatedUnion cannot express the open fallback.

export type VariantTable = Readonly<Record<string, z.ZodType>>;

export function toVariantMap(table: VariantTable): ReadonlyMap<string, z.ZodType> {
  // A Map, not property lookup, so a discriminator such as "constructor" finds nothing.
  return new Map(Object.entries(table));
}

export function checkVariant(
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

