import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AuditLog } from '../audit/audit-log.js';
import { AppError } from '../errors.js';
import { callerOf, hasFullReach, recordDenial } from './inbox-access.js';
import type { ConversationAssignments } from './inbox-assignment.js';
import {
  assigneesSchema,
  assignmentBody,
  contactViewSchema,
  conversationIdParams,
  conversationListQuery,
  conversationListSchema,
  conversationSummarySchema,
  errorSchema,
  exportQuery,
  replyBody,
  replyHeaders,
  searchBody,
  threadQuery,
  threadSchema,
} from './inbox-schemas.js';
import type { InboxService } from './inbox-service.js';

export interface InboxRouteDependencies {
  inbox: InboxService;
  assignments: ConversationAssignments;
  audit: Pick<AuditLog, 'append'>;
}

const read = { permission: 'conversations.read' } as const;
const notFound = errorSchema.describe('NOT_FOUND: absent, or not a conversation you can open');
const auditUnavailable = errorSchema.describe('AUDIT_UNAVAILABLE: the access could not be recorded, so nothing was decrypted');
const tags = ['conversations'];

/** `/api/v1/conversations…` and `/api/v1/contacts/:id`: the dashboard's inbox (session users only). */
export async function registerInboxRoutes(app: FastifyInstance, { inbox, assignments, audit }: InboxRouteDependencies): Promise<void> {
  const api = app.withTypeProvider<ZodTypeProvider>();

  /** Assignment is for roles reaching every conversation; checked before the body, so an agent learns nothing from validation. */
  const requireFullReach = async (request: FastifyRequest) => {
    const caller = callerOf(request);
    if (hasFullReach(caller.user)) return;
    await recordDenial(audit, request, caller);
    throw new AppError('FORBIDDEN', 'Only roles that reach every conversation (supervisor, admin) assign conversations.');
  };

  api.get(
    '/api/v1/conversations',
    {
      config: { access: read },
      schema: {
        summary: 'List conversations (nothing decrypted)',
        description: 'Latest activity first. Roles limited to assigned conversations get only their own.',
        tags,
        querystring: conversationListQuery,
        response: { 200: conversationListSchema },
      },
    },
    async (request) => inbox.listConversations(callerOf(request), { ...request.query, before: request.query.before ?? null }),
  );

  api.get(
    '/api/v1/conversations/assignees',
    {
      config: { access: read },
      preValidation: requireFullReach,
      schema: { summary: 'Users a conversation can be assigned to', tags, response: { 200: assigneesSchema, 403: errorSchema } },
    },
    async () => ({ users: await assignments.listAssignees() }),
  );

  api.get(
    '/api/v1/conversations/:id',
    {
      config: { access: read },
      schema: { summary: 'One conversation (nothing decrypted)', tags, params: conversationIdParams, response: { 200: conversationSummarySchema, 404: notFound } },
    },
    async (request) => inbox.getConversation(callerOf(request), request.params.id),
  );

  api.get(
    '/api/v1/conversations/:id/messages',
    {
      config: { access: read },
      schema: {
        summary: 'Open a conversation: the contact and a page of messages (decrypted, audited)',
        description: "Writes one audit entry (conversation.open) before anything is decrypted. Message text is the customer's, verbatim: render it as text.",
        tags,
        params: conversationIdParams,
        querystring: threadQuery,
        response: { 200: threadSchema, 404: notFound, 503: auditUnavailable },
      },
    },
    async (request) => inbox.openThread(callerOf(request), request.params.id, { limit: request.query.limit, before: request.query.before ?? null }),
  );

  api.post(
    '/api/v1/conversations/:id/messages',
    {
      config: { access: { permission: 'conversations.reply' } },
      schema: {
        summary: 'Reply as the signed-in user',
        description: 'Checked like the send API (24-hour window, opt-out), queued in the outbox, recorded as sent by you; audited (conversation.reply).',
        tags,
        params: conversationIdParams,
        headers: replyHeaders,
        body: replyBody,
        response: {
          202: z.object({ id: z.string(), status: z.literal('queued') }),
          404: notFound,
          409: errorSchema.describe('WINDOW_CLOSED'),
          503: errorSchema.describe('SENDING_NOT_CONFIGURED or AUDIT_UNAVAILABLE'),
        },
      },
    },
    async (request, reply) => {
      const result = await inbox.reply(callerOf(request), request.params.id, request.body.text, request.headers['idempotency-key'] ?? null);
      if (result.isReplay) reply.header('idempotent-replayed', 'true');
      return reply.code(202).send({ id: result.id, status: 'queued' as const });
    },
  );

  api.post(
    '/api/v1/conversations/search',
    {
      config: { access: read },
      schema: {
        summary: 'Find a conversation by phone number (blind index; audited when found)',
        tags,
        body: searchBody,
        response: { 200: z.object({ conversation: conversationSummarySchema }), 404: notFound, 503: auditUnavailable },
      },
    },
    async (request) => inbox.searchByPhone(callerOf(request), request.body.phone),
  );

  api.put(
    '/api/v1/conversations/:id/assignment',
    {
      config: { access: read },
      preValidation: requireFullReach,
      schema: {
        summary: 'Assign a conversation (supervisors and admins)',
        description: 'The assignee must be an active user whose role may read conversations; null unassigns. Audited (conversation.assign).',
        tags,
        params: conversationIdParams,
        body: assignmentBody,
        response: { 200: conversationSummarySchema, 403: errorSchema, 404: notFound },
      },
    },
    async (request) => {
      const caller = callerOf(request);
      await assignments.assignConversation(caller, request.params.id, request.body.userId);
      return inbox.getConversation(caller, request.params.id);
    },
  );

  api.get(
    '/api/v1/conversations/:id/export',
    {
      config: { access: { permission: 'contacts.export', stepUp: true } },
      schema: {
        summary: 'Download a conversation (decrypted, audited)',
        description: 'An attachment, JSON or CSV (cells a spreadsheet would evaluate are prefixed with an apostrophe). Needs a recent second factor; audited (conversation.export).',
        tags,
        params: conversationIdParams,
        querystring: exportQuery,
        response: { 200: z.string().describe('The file (sent as is)'), 404: notFound, 503: auditUnavailable },
      },
    },
    async (request, reply) => {
      const exported = await inbox.exportConversation(callerOf(request), request.params.id, request.query.format);
      return reply
        .header('content-type', exported.contentType)
        .header('content-disposition', `attachment; filename="${exported.fileName}"`)
        .header('content-security-policy', "default-src 'none'; sandbox")
        .header('cache-control', 'no-store')
        .send(exported.body);
    },
  );

  api.get(
    '/api/v1/contacts/:id',
    {
      config: { access: read },
      schema: {
        summary: "A conversation's contact: name, number, consent (decrypted, audited)",
        tags,
        params: conversationIdParams,
        response: { 200: contactViewSchema, 404: notFound, 503: auditUnavailable },
      },
    },
    async (request) => inbox.viewContact(callerOf(request), request.params.id),
  );
}
