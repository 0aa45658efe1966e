import { z } from 'zod';

/**
 * The inbox's request and response shapes (the dashboard contract, issue 4). Response schemas
 * also serialise: a field not listed here never reaches the client.
 */

export const errorSchema = z.object({ code: z.string(), message: z.string(), requestId: z.string() });

export const conversationIdParams = z.object({ id: z.uuid() });

const epochMs = z.number().int().nonnegative();
const limitQuery = z.coerce.number().int().min(1).max(100).default(50).describe('Rows per page (a page may hold a few more when several share the boundary time).');
const beforeQuery = z.coerce.number().int().nonnegative().optional().describe('The nextBefore of the previous page (epoch milliseconds).');

export const conversationSummarySchema = z.object({
  id: z.string(),
  pseudonym: z.string().describe('"C-" + the first 8 hex characters of the id: a name that needs no decryption.'),
  assignedTo: z.object({ id: z.string(), displayName: z.string() }).nullable(),
  lastMessageAt: epochMs.nullable(),
  lastInboundAt: epochMs.nullable(),
  lastDirection: z.enum(['inbound', 'outbound']).nullable(),
  messageCount: z.number().int().nonnegative(),
  window: z.object({ isOpen: z.boolean(), closesAt: epochMs.nullable() }).describe('The 24-hour customer-service window: whether a free-form reply is accepted now.'),
  optedOut: z.boolean().describe('The customer opted out of marketing (STOP): answer their questions, send no marketing.'),
});
export type ConversationSummary = z.infer<typeof conversationSummarySchema>;

export const conversationListQuery = z.object({
  filter: z.enum(['all', 'mine', 'unassigned']).default('all').describe('Roles limited to assigned conversations always get their own.'),
  limit: limitQuery,
  before: beforeQuery,
});

export const conversationListSchema = z.object({ conversations: z.array(conversationSummarySchema), nextBefore: epochMs.nullable() });

export const threadStatuses = ['queued', 'sent', 'delivered', 'read', 'failed'] as const;

export const threadMessageSchema = z.object({
  id: z.string(),
  direction: z.enum(['inbound', 'outbound']),
  type: z.string(),
  sentAt: epochMs.describe("The customer's send time (Meta's) for inbound messages; the time it was queued for outbound ones."),
  text: z.string().nullable().describe('Customer text, returned verbatim: render it as text, never as HTML.'),
  summary: z.string(),
  mediaId: z.string().nullable().describe('For GET /api/v1/media/{id}.'),
  status: z.enum(threadStatuses).nullable(),
  failure: z.object({ code: z.number().nullable(), reason: z.string() }).nullable(),
  sentBy: z.object({ type: z.enum(['user', 'api-key', 'system']), label: z.string() }).nullable(),
});
export type ThreadMessage = z.infer<typeof threadMessageSchema>;

export const contactIdentitySchema = z.object({ name: z.string().nullable(), phone: z.string() });
export type ContactIdentity = z.infer<typeof contactIdentitySchema>;

export const threadQuery = z.object({ limit: limitQuery, before: beforeQuery });

export const threadSchema = z.object({
  conversation: conversationSummarySchema,
  contact: contactIdentitySchema,
  messages: z.array(threadMessageSchema).describe('Oldest first within the page.'),
  nextBefore: epochMs.nullable(),
});

export const searchBody = z.strictObject({ phone: z.string().min(1).max(40).describe('In international form, e.g. +4915112345678; in the body so it never lands in a URL log.') });

export const consentStateSchema = z.object({ purpose: z.string(), state: z.enum(['opted-in', 'opted-out']), changedAt: epochMs, source: z.string() });
export type ConsentState = z.infer<typeof consentStateSchema>;

export const contactViewSchema = z.object({
  id: z.string(),
  pseudonym: z.string(),
  name: z.string().nullable(),
  phone: z.string(),
  firstSeenAt: epochMs,
  lastInboundAt: epochMs.nullable(),
  consent: z.array(consentStateSchema).describe('The current state per purpose, from the consent ledger.'),
  messageCounts: z.object({ inbound: z.number().int().nonnegative(), outbound: z.number().int().nonnegative() }),
});

export const replyBody = z.strictObject({
  text: z
    .string()
    .min(1)
    .max(4_096)
    .refine((text) => text.trim().length > 0, { message: 'must not be only whitespace' }),
});

export const replyHeaders = z.object({
  'idempotency-key': z
    .string()
    .regex(/^[\x21-\x7e]{1,255}$/, { message: 'printable ASCII, 1 to 255 characters' })
    .optional()
    .describe('Makes a retried reply safe: the same key with the same text returns the first answer.'),
});

export const assignmentBody = z.strictObject({ userId: z.uuid().nullable().describe('null unassigns.') });

export const assigneesSchema = z.object({ users: z.array(z.object({ id: z.string(), displayName: z.string() })) });

export const exportQuery = z.object({ format: z.enum(['json', 'csv']).default('json') });
