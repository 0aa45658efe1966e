import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Clock } from '../clock.js';
import { requireUser } from './auth-routes.js';
import type { IdentityConfig } from './identity-settings.js';
import {
  authenticationResponseSchema,
  codeSchema,
  errorSchema,
  idParamsSchema,
  recoveryCodesSchema,
  registrationResponseSchema,
  sessionInfoSchema,
  webauthnOptionsSchema,
} from './identity-schemas.js';
import type { MfaService, SecondFactor } from './mfa-service.js';
import { originOf, setSessionCookies } from './session-cookie.js';
import type { SessionInfoBuilder } from './session-info.js';
import type { IssuedSession } from './session-service.js';
import type { SignedInUser } from './signed-in-user.js';

export interface MfaRouteDependencies {
  mfa: MfaService;
  sessionInfo: SessionInfoBuilder;
  settings: Pick<IdentityConfig, 'isCookieSecure'>;
  clock: Clock;
}

const passkeySchema = z.object({ id: z.string(), name: z.string(), createdAt: z.number(), lastUsedAt: z.number().nullable(), isBackedUp: z.boolean() });
const enrolmentAnswerSchema = z.object({ session: sessionInfoSchema, recoveryCodes: recoveryCodesSchema.nullable() });
const enrol = { signedIn: true, pendingMfa: 'enrol', stepUp: true } as const;
const verify = { signedIn: true, pendingMfa: 'verify' } as const;

/** `/api/v1/auth/…` second factors: TOTP, recovery codes, passkeys, step-up. */
export async function registerMfaRoutes(app: FastifyInstance, deps: MfaRouteDependencies): Promise<void> {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const { mfa, sessionInfo, settings, clock } = deps;

  /** After a factor: a rotated cookie when a pending session became active, else a fresher step-up time. */
  const describeAfterFactor = async (reply: FastifyReply, user: SignedInUser, issued: IssuedSession | null) => {
    if (issued) {
      setSessionCookies(reply, issued, { isSecure: settings.isCookieSecure, now: clock.now() });
      return sessionInfo.describeSession(issued.session);
    }
    return sessionInfo.describeSignedIn({ ...user, session: { ...user.session, mfaVerifiedAt: clock.now() } });
  };
  const verifyFactor = async (reply: FastifyReply, user: SignedInUser, factor: SecondFactor, origin: ReturnType<typeof originOf>) =>
    reply.send(await describeAfterFactor(reply, user, await mfa.verifySecondFactor(user, factor, origin)));

  api.get(
    '/api/v1/auth/mfa',
    {
      config: { access: { signedIn: true } },
      schema: {
        summary: 'Your second factors',
        tags: ['mfa'],
        response: { 200: z.object({ hasTotp: z.boolean(), passkeys: z.array(passkeySchema), recoveryCodesLeft: z.number(), hasSecondFactor: z.boolean() }) },
      },
    },
    async (request) => mfa.describeMfa(requireUser(request).userId),
  );

  api.post(
    '/api/v1/auth/totp/enrolment',
    {
      config: { access: enrol },
      schema: {
        summary: 'Start enrolling an authenticator app',
        description: 'Answers the otpauth:// URI (show it as a QR code). It holds the secret and is shown this once; confirm with a code.',
        tags: ['mfa'],
        response: { 200: z.object({ otpauthUri: z.string() }) },
      },
    },
    async (request, reply) => reply.header('cache-control', 'no-store').send(await mfa.startTotpEnrolment(requireUser(request))),
  );

  api.post(
    '/api/v1/auth/totp/confirm',
    {
      config: { access: enrol },
      schema: {
        summary: 'Confirm the authenticator app with a code',
        description: 'The first second factor also answers ten recovery codes (shown once) and completes a pending sign-in.',
        tags: ['mfa'],
        body: z.object({ code: codeSchema }),
        response: { 200: enrolmentAnswerSchema, 401: errorSchema },
      },
    },
    async (request, reply) => {
      const user = requireUser(request);
      const result = await mfa.confirmTotpEnrolment(user, request.body.code, originOf(request));
      return reply.header('cache-control', 'no-store').send({ session: await describeAfterFactor(reply, user, result.issued), recoveryCodes: result.recoveryCodes });
    },
  );

  api.delete(
    '/api/v1/auth/totp',
    { config: { access: { signedIn: true, stepUp: true } }, schema: { summary: 'Remove your authenticator app', tags: ['mfa'], response: { 204: z.null(), 409: errorSchema } } },
    async (request, reply) => {
      await mfa.removeTotp(requireUser(request), originOf(request));
      return reply.code(204).send(null);
    },
  );

  api.post(
    '/api/v1/auth/totp/verify',
    {
      config: { access: verify },
      schema: { summary: 'Complete sign-in with a TOTP code', tags: ['mfa'], body: z.object({ code: codeSchema }), response: { 200: sessionInfoSchema, 401: errorSchema, 429: errorSchema } },
    },
    async (request, reply) => verifyFactor(reply, requireUser(request), { method: 'totp', code: request.body.code }, originOf(request)),
  );

  api.post(
    '/api/v1/auth/recovery-codes/verify',
    {
      config: { access: verify },
      schema: { summary: 'Complete sign-in with a recovery code', tags: ['mfa'], body: z.object({ code: codeSchema }), response: { 200: sessionInfoSchema, 401: errorSchema, 429: errorSchema } },
    },
    async (request, reply) => verifyFactor(reply, requireUser(request), { method: 'recovery-code', code: request.body.code }, originOf(request)),
  );

  api.post(
    '/api/v1/auth/recovery-codes',
    {
      config: { access: { signedIn: true, stepUp: true } },
      schema: { summary: 'Replace your recovery codes', description: 'The old ones stop working.', tags: ['mfa'], response: { 200: z.object({ recoveryCodes: recoveryCodesSchema }) } },
    },
    async (request, reply) => reply.header('cache-control', 'no-store').send({ recoveryCodes: await mfa.regenerateRecoveryCodes(requireUser(request), originOf(request)) }),
  );

  api.post(
    '/api/v1/auth/passkeys/registration-options',
    { config: { access: enrol }, schema: { summary: 'Options to create a passkey', tags: ['mfa'], response: { 200: webauthnOptionsSchema } } },
    async (request) => ({ ...(await mfa.createPasskeyRegistrationOptions(requireUser(request))) }),
  );

  api.post(
    '/api/v1/auth/passkeys/registration',
    {
      config: { access: enrol },
      schema: {
        summary: 'Register the passkey the browser created',
        tags: ['mfa'],
        body: z.object({ response: registrationResponseSchema, name: z.string().max(100).optional() }),
        response: { 200: enrolmentAnswerSchema.extend({ passkey: passkeySchema }), 401: errorSchema },
      },
    },
    async (request, reply) => {
      const user = requireUser(request);
      const result = await mfa.registerPasskey(user, request.body.response, request.body.name ?? 'Passkey', originOf(request));
      return reply.header('cache-control', 'no-store').send({ passkey: result.passkey, session: await describeAfterFactor(reply, user, result.issued), recoveryCodes: result.recoveryCodes });
    },
  );

  api.post(
    '/api/v1/auth/passkeys/authentication-options',
    { config: { access: verify }, schema: { summary: 'Options to sign in (or step up) with a passkey', tags: ['mfa'], response: { 200: webauthnOptionsSchema } } },
    async (request) => ({ ...(await mfa.createPasskeyAuthenticationOptions(requireUser(request))) }),
  );

  api.post(
    '/api/v1/auth/passkeys/authentication',
    {
      config: { access: verify },
      schema: { summary: 'Complete sign-in (or step up) with a passkey', tags: ['mfa'], body: z.object({ response: authenticationResponseSchema }), response: { 200: sessionInfoSchema, 401: errorSchema, 429: errorSchema } },
    },
    async (request, reply) => verifyFactor(reply, requireUser(request), { method: 'passkey', response: request.body.response }, originOf(request)),
  );

  api.delete(
    '/api/v1/auth/passkeys/:id',
    { config: { access: { signedIn: true, stepUp: true } }, schema: { summary: 'Remove one of your passkeys', tags: ['mfa'], params: idParamsSchema, response: { 204: z.null(), 404: errorSchema, 409: errorSchema } } },
    async (request, reply) => {
      await mfa.removePasskey(requireUser(request), request.params.id, originOf(request));
      return reply.code(204).send(null);
    },
  );

  api.post(
    '/api/v1/auth/step-up',
    {
      config: { access: { signedIn: true } },
      schema: {
        summary: 'Confirm with a second factor again',
        description: 'Opens routes that need a recent second factor (exports, key operations, user administration) for RAMPART_STEP_UP_MINUTES.',
        tags: ['mfa'],
        body: z.discriminatedUnion('method', [z.object({ method: z.literal('totp'), code: codeSchema }), z.object({ method: z.literal('passkey'), response: authenticationResponseSchema })]),
        response: { 200: sessionInfoSchema, 401: errorSchema, 429: errorSchema },
      },
    },
    async (request, reply) => {
      const factor: SecondFactor = request.body.method === 'totp' ? { method: 'totp', code: request.body.code } : { method: 'passkey', response: request.body.response };
      return verifyFactor(reply, requireUser(request), factor, originOf(request));
    },
  );
}
