import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Clock } from '../clock.js';
import { AppError } from '../errors.js';
import type { IdentityConfig } from './identity-settings.js';
import {
  displayNameSchema,
  emailSchema,
  errorSchema,
  idParamsSchema,
  newPasswordSchema,
  passwordInputSchema,
  sessionInfoSchema,
  setupTokenSchema,
} from './identity-schemas.js';
import { clearSessionCookies, originOf, setSessionCookies } from './session-cookie.js';
import type { SessionInfoBuilder } from './session-info.js';
import type { IssuedSession, SessionService } from './session-service.js';
import type { SignInService } from './sign-in-service.js';
import type { SignedInUser } from './signed-in-user.js';

export interface AuthRouteDependencies {
  signIn: SignInService;
  sessions: SessionService;
  sessionInfo: SessionInfoBuilder;
  settings: Pick<IdentityConfig, 'isCookieSecure'>;
  clock: Clock;
}

/** The user the guard authenticated; routes that declare a session access always have one. */
export function requireUser(request: FastifyRequest): SignedInUser {
  if (!request.user) throw new AppError('UNAUTHENTICATED', 'Sign in first.');
  return request.user;
}

/** `/api/v1/auth/…`: sign-in, bootstrap, setup links, session, sign-out, password, own sessions. */
export async function registerAuthRoutes(app: FastifyInstance, deps: AuthRouteDependencies): Promise<void> {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const { signIn, sessions, sessionInfo, settings, clock } = deps;
  const answerWithSession = async (reply: FastifyReply, issued: IssuedSession) => {
    setSessionCookies(reply, issued, { isSecure: settings.isCookieSecure, now: clock.now() });
    return reply.send(await sessionInfo.describeSession(issued.session));
  };

  api.post(
    '/api/v1/auth/login',
    {
      config: { access: 'public' },
      schema: {
        summary: 'Sign in with email and password',
        description: 'Opens a pending-MFA session (cookie): a second factor comes next. The same answer whether or not the email exists; too many failures answer 429 for a while.',
        tags: ['auth'],
        body: z.object({ email: emailSchema, password: passwordInputSchema }),
        response: { 200: sessionInfoSchema, 401: errorSchema, 429: errorSchema },
      },
    },
    async (request, reply) => answerWithSession(reply, await signIn.signIn(request.body, originOf(request))),
  );

  api.post(
    '/api/v1/auth/bootstrap',
    {
      config: { access: 'public' },
      schema: {
        summary: 'Create the first admin with the bootstrap link',
        description: 'Works only while no user exists, with the token from the link printed at start. Enrolment of a second factor follows.',
        tags: ['auth'],
        body: z.object({ token: setupTokenSchema, email: emailSchema, displayName: displayNameSchema, password: newPasswordSchema }),
        response: { 200: sessionInfoSchema, 401: errorSchema, 422: errorSchema },
      },
    },
    async (request, reply) => answerWithSession(reply, await signIn.bootstrap(request.body, originOf(request))),
  );

  api.post(
    '/api/v1/auth/setup/inspect',
    {
      config: { access: 'public' },
      schema: {
        summary: 'What a setup link is for',
        description: 'The first-admin bootstrap, or setting the password of the named user. Does not use the link.',
        tags: ['auth'],
        body: z.object({ token: setupTokenSchema }),
        response: {
          200: z.discriminatedUnion('kind', [z.object({ kind: z.literal('bootstrap') }), z.object({ kind: z.literal('password'), email: z.string(), displayName: z.string() })]),
          401: errorSchema,
        },
      },
    },
    async (request) => signIn.inspectSetupLink(request.body.token),
  );

  api.post(
    '/api/v1/auth/setup',
    {
      config: { access: 'public' },
      schema: {
        summary: 'Set a password with a setup link',
        tags: ['auth'],
        body: z.object({ token: setupTokenSchema, password: newPasswordSchema }),
        response: { 200: sessionInfoSchema, 401: errorSchema, 422: errorSchema },
      },
    },
    async (request, reply) => answerWithSession(reply, await signIn.completeSetup(request.body, originOf(request))),
  );

  api.get(
    '/api/v1/auth/session',
    {
      config: { access: { signedIn: true, pendingMfa: 'any' } },
      schema: { summary: 'The current session, its user and the CSRF token', tags: ['auth'], response: { 200: sessionInfoSchema, 401: errorSchema } },
    },
    async (request, reply) => reply.header('cache-control', 'no-store').send(sessionInfo.describeSignedIn(requireUser(request))),
  );

  api.post(
    '/api/v1/auth/logout',
    {
      config: { access: { signedIn: true, pendingMfa: 'any' } },
      schema: { summary: 'Sign out: the session ends at once', tags: ['auth'], response: { 204: z.null() } },
    },
    async (request, reply) => {
      await signIn.signOut(requireUser(request), originOf(request));
      clearSessionCookies(reply, { isSecure: settings.isCookieSecure });
      return reply.code(204).send(null);
    },
  );

  api.post(
    '/api/v1/auth/password',
    {
      config: { access: { signedIn: true } },
      schema: {
        summary: 'Change your password',
        description: 'Needs the current password. Every other session of yours ends.',
        tags: ['auth'],
        body: z.object({ currentPassword: passwordInputSchema, newPassword: newPasswordSchema }),
        response: { 204: z.null(), 401: errorSchema, 422: errorSchema, 429: errorSchema },
      },
    },
    async (request, reply) => {
      await signIn.changePassword(requireUser(request), request.body, originOf(request));
      return reply.code(204).send(null);
    },
  );

  api.get(
    '/api/v1/auth/sessions',
    {
      config: { access: { signedIn: true } },
      schema: {
        summary: 'Your open sessions',
        tags: ['auth'],
        response: {
          200: z.array(
            z.object({
              id: z.string(),
              state: z.enum(['pending-mfa', 'active']),
              createdAt: z.number(),
              lastSeenAt: z.number(),
              expiresAt: z.number(),
              sourceAddress: z.string().nullable(),
              userAgent: z.string().nullable(),
              isCurrent: z.boolean(),
            }),
          ),
        },
      },
    },
    async (request) => {
      const user = requireUser(request);
      const list = await sessions.listUserSessions(user.userId);
      return list.map((session) => ({ ...session, isCurrent: session.id === user.session.id }));
    },
  );

  api.delete(
    '/api/v1/auth/sessions/:id',
    {
      config: { access: { signedIn: true } },
      schema: { summary: 'End one of your sessions', tags: ['auth'], params: idParamsSchema, response: { 204: z.null(), 404: errorSchema } },
    },
    async (request, reply) => {
      const user = requireUser(request);
      if (!(await sessions.endOwnSession(user.userId, request.params.id))) throw new AppError('NOT_FOUND', 'You have no open session with that id.');
      const origin = originOf(request);
      await deps.signIn.recordSessionRevoked(user, request.params.id, origin);
      return reply.code(204).send(null);
    },
  );
}
