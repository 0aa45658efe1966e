import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { apiKeyScopes } from './api-key-service.js';
import type { ApiKeyService, ApiKeySummary } from './api-key-service.js';
import type { RoleDefinition } from './permissions.js';
import { requireUser } from './auth-routes.js';
import { displayNameSchema, emailSchema, errorSchema, idParamsSchema, roleIdsSchema, roleInputSchema, roleSchema, userSchema } from './identity-schemas.js';
import type { RoleService } from './role-service.js';
import type { RecordSecurityEvent } from './security-event.js';
import { originOf } from './session-cookie.js';
import { actorOf } from './signed-in-user.js';
import type { Caller, UserService } from './user-service.js';

export interface AdminRouteDependencies {
  users: UserService;
  roles: RoleService;
  apiKeys: Pick<ApiKeyService, 'createApiKey' | 'listApiKeys' | 'revokeApiKey'>;
  recordSecurityEvent: RecordSecurityEvent;
}

const manageUsers = { permission: 'users.manage' } as const;
/** Granting access is what an attacker with a stolen session wants most: it needs a fresh second factor. */
const manageUsersStepUp = { permission: 'users.manage', stepUp: true } as const;
const setupPathSchema = z.string().describe('Append to the public URL and hand to the user; it works once, for 24 hours.');
const apiKeySummarySchema = z.object({
  id: z.string(),
  name: z.string(),
  scopes: z.array(z.enum(apiKeyScopes)),
  displayPrefix: z.string(),
  createdAt: z.number(),
  lastUsedAt: z.number().nullable(),
  revokedAt: z.number().nullable(),
});

const toRoleAnswer = (role: RoleDefinition) => ({ ...role, permissions: [...role.permissions] });
const toKeyAnswer = (summary: ApiKeySummary) => ({ ...summary, scopes: [...summary.scopes] });

function callerOf(request: FastifyRequest): Caller {
  return { actor: actorOf(requireUser(request)), origin: originOf(request) };
}

/** `/api/v1/users`, `/api/v1/roles` (users.manage) and `/api/v1/api-keys` (keys.manage). */
export async function registerAdminRoutes(app: FastifyInstance, deps: AdminRouteDependencies): Promise<void> {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const { users, roles } = deps;

  api.get('/api/v1/users', { config: { access: manageUsers }, schema: { summary: 'List users', tags: ['users'], response: { 200: z.array(userSchema) } } }, async () => users.listUsers());

  api.post(
    '/api/v1/users',
    {
      config: { access: manageUsersStepUp },
      schema: {
        summary: 'Create a user',
        description: 'The user has no password yet: hand them the setup link, with which they set one and enrol a second factor.',
        tags: ['users'],
        body: z.object({ email: emailSchema, displayName: displayNameSchema, roleIds: roleIdsSchema }),
        response: { 201: z.object({ user: userSchema, setupPath: setupPathSchema }), 409: errorSchema },
      },
    },
    async (request, reply) => reply.code(201).header('cache-control', 'no-store').send(await users.createUser(request.body, callerOf(request))),
  );

  api.get(
    '/api/v1/users/:id',
    { config: { access: manageUsers }, schema: { summary: 'One user', tags: ['users'], params: idParamsSchema, response: { 200: userSchema, 404: errorSchema } } },
    async (request) => users.getUser(request.params.id),
  );

  api.patch(
    '/api/v1/users/:id',
    {
      config: { access: manageUsersStepUp },
      schema: {
        summary: 'Rename, disable or enable a user',
        description: 'Disabling ends every session of the user at once.',
        tags: ['users'],
        params: idParamsSchema,
        body: z.object({ displayName: displayNameSchema.optional(), status: z.enum(['active', 'disabled']).optional() }),
        response: { 200: userSchema, 404: errorSchema, 409: errorSchema },
      },
    },
    async (request) => users.updateUser(request.params.id, request.body, callerOf(request)),
  );

  api.put(
    '/api/v1/users/:id/roles',
    {
      config: { access: manageUsersStepUp },
      schema: {
        summary: "Replace a user's roles",
        description: 'Every session of the user ends, so the new roles apply from the next sign-in.',
        tags: ['users'],
        params: idParamsSchema,
        body: z.object({ roleIds: roleIdsSchema }),
        response: { 200: userSchema, 404: errorSchema, 409: errorSchema },
      },
    },
    async (request) => users.setUserRoles(request.params.id, request.body.roleIds, callerOf(request)),
  );

  api.post(
    '/api/v1/users/:id/password-reset',
    {
      config: { access: manageUsersStepUp },
      schema: {
        summary: "Reset a user's password",
        description: 'Clears the password, ends every session and answers a new setup link. With resetMfa, the second factors go too (a lost phone).',
        tags: ['users'],
        params: idParamsSchema,
        body: z.object({ resetMfa: z.boolean().default(false) }),
        response: { 200: z.object({ setupPath: setupPathSchema }), 404: errorSchema },
      },
    },
    async (request, reply) => reply.header('cache-control', 'no-store').send(await users.resetPassword(request.params.id, request.body, callerOf(request))),
  );

  api.delete(
    '/api/v1/users/:id/sessions',
    {
      config: { access: manageUsers },
      schema: { summary: "End every session of a user", tags: ['users'], params: idParamsSchema, response: { 200: z.object({ ended: z.number() }), 404: errorSchema } },
    },
    async (request) => ({ ended: await users.endAllSessions(request.params.id, callerOf(request)) }),
  );

  api.get('/api/v1/roles', { config: { access: manageUsers }, schema: { summary: 'Built-in and custom roles', tags: ['roles'], response: { 200: z.array(roleSchema) } } }, async () => (await roles.listRoles()).map(toRoleAnswer));

  api.post(
    '/api/v1/roles',
    { config: { access: manageUsersStepUp }, schema: { summary: 'Create a custom role', tags: ['roles'], body: roleInputSchema, response: { 201: roleSchema, 409: errorSchema } } },
    async (request, reply) => {
      const role = await roles.createRole(request.body);
      await record(request, 'roles.create', { roleId: role.id, permissions: role.permissions.join(',') });
      return reply.code(201).send(toRoleAnswer(role));
    },
  );

  api.put(
    '/api/v1/roles/:id',
    {
      config: { access: manageUsersStepUp },
      schema: { summary: 'Change a custom role', description: 'Takes effect on the next request of every user holding it.', tags: ['roles'], params: idParamsSchema, body: roleInputSchema, response: { 200: roleSchema, 404: errorSchema, 409: errorSchema } },
    },
    async (request) => {
      const { before, after } = await roles.updateRole(request.params.id, request.body, (trx) => users.assertUserManagerRemains(trx));
      await record(request, 'roles.update', { roleId: after.id, before: before.permissions.join(','), after: after.permissions.join(',') });
      return toRoleAnswer(after);
    },
  );

  api.delete(
    '/api/v1/roles/:id',
    { config: { access: manageUsersStepUp }, schema: { summary: 'Delete a custom role no user holds', tags: ['roles'], params: idParamsSchema, response: { 204: z.null(), 404: errorSchema, 409: errorSchema } } },
    async (request, reply) => {
      await roles.deleteRole(request.params.id);
      await record(request, 'roles.delete', { roleId: request.params.id });
      return reply.code(204).send(null);
    },
  );

  api.get(
    '/api/v1/api-keys',
    { config: { access: { permission: 'keys.manage' } }, schema: { summary: 'API keys (never the key itself)', tags: ['api-keys'], response: { 200: z.array(apiKeySummarySchema) } } },
    async () => (await deps.apiKeys.listApiKeys()).map(toKeyAnswer),
  );

  api.post(
    '/api/v1/api-keys',
    {
      config: { access: { permission: 'keys.manage', stepUp: true } },
      schema: {
        summary: 'Create an API key',
        description: 'The key is in this answer only; Rampart stores its hash.',
        tags: ['api-keys'],
        body: z.object({ name: z.string().trim().min(1).max(100), scopes: z.array(z.enum(apiKeyScopes)).min(1) }),
        response: { 201: z.object({ key: z.string(), summary: apiKeySummarySchema }) },
      },
    },
    async (request, reply) => {
      const created = await deps.apiKeys.createApiKey(request.body.name, request.body.scopes);
      await record(request, 'api-keys.create', { apiKeyId: created.summary.id, scopes: created.summary.scopes.join(',') });
      return reply.code(201).header('cache-control', 'no-store').send({ key: created.key, summary: toKeyAnswer(created.summary) });
    },
  );

  api.delete(
    '/api/v1/api-keys/:id',
    { config: { access: { permission: 'keys.manage', stepUp: true } }, schema: { summary: 'Revoke an API key', tags: ['api-keys'], params: idParamsSchema, response: { 200: apiKeySummarySchema, 404: errorSchema } } },
    async (request) => {
      const summary = await deps.apiKeys.revokeApiKey(request.params.id);
      await record(request, 'api-keys.revoke', { apiKeyId: summary.id });
      return toKeyAnswer(summary);
    },
  );

  async function record(request: FastifyRequest, action: string, details: Record<string, string | number | boolean | null>): Promise<void> {
    const caller = callerOf(request);
    await deps.recordSecurityEvent({ actor: caller.actor, action, outcome: 'success', sourceAddress: caller.origin.sourceAddress, requestId: caller.origin.requestId, details });
  }
}
