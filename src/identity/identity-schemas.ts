import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import { z } from 'zod';
import { conversationAccessLevels, permissions } from './permissions.js';

export const errorSchema = z.object({ code: z.string(), message: z.string(), requestId: z.string() });

/** Long enough for any passphrase, short enough that argon2 never hashes a megabyte. */
export const passwordInputSchema = z.string().min(1).max(1024);
export const newPasswordSchema = z.string().min(1).max(1024).describe('At least 12 characters; not a commonly used password.');
export const emailSchema = z.string().trim().min(3).max(254).describe('The login name; compared without case.');
export const displayNameSchema = z.string().trim().min(1).max(100);
export const setupTokenSchema = z.string().regex(/^[A-Za-z0-9_-]{43}$/, { message: 'the token from the setup link' });
export const codeSchema = z.string().trim().min(6).max(32);
export const idParamsSchema = z.object({ id: z.string().min(1).max(100) });

export const sessionInfoSchema = z.object({
  user: z.object({ id: z.string(), email: z.string(), displayName: z.string(), roleIds: z.array(z.string()) }),
  permissions: z.array(z.enum(permissions)),
  conversationAccess: z.enum(conversationAccessLevels),
  session: z.object({
    id: z.string(),
    state: z.enum(['pending-mfa', 'active']),
    createdAt: z.number(),
    expiresAt: z.number(),
    idleExpiresAt: z.number(),
    mfaVerifiedAt: z.number().nullable(),
    stepUpValidUntil: z.number().nullable().describe('Until when routes that need a recent second factor are open.'),
  }),
  nextStep: z.enum(['none', 'verify-second-factor', 'enrol-second-factor']).describe('What the session needs before it reaches data.'),
  csrfToken: z.string().describe('Send as the x-csrf-token header on every state-changing request.'),
});
export type SessionInfo = z.infer<typeof sessionInfoSchema>;

const base64url = z.string().regex(/^[A-Za-z0-9_-]*={0,2}$/).max(16_384);

/** navigator.credentials.create() as JSON (what @simplewebauthn/browser's startRegistration returns). */
export const registrationResponseSchema = z
  .looseObject({
    id: base64url,
    rawId: base64url,
    type: z.literal('public-key'),
    response: z.looseObject({ clientDataJSON: base64url, attestationObject: base64url, transports: z.array(z.string().max(20)).max(10).optional() }),
    clientExtensionResults: z.record(z.string(), z.unknown()),
    authenticatorAttachment: z.string().max(30).optional(),
  })
  .transform((value) => value as unknown as RegistrationResponseJSON);

/** navigator.credentials.get() as JSON (what @simplewebauthn/browser's startAuthentication returns). */
export const authenticationResponseSchema = z
  .looseObject({
    id: base64url,
    rawId: base64url,
    type: z.literal('public-key'),
    response: z.looseObject({ clientDataJSON: base64url, authenticatorData: base64url, signature: base64url, userHandle: base64url.optional() }),
    clientExtensionResults: z.record(z.string(), z.unknown()),
    authenticatorAttachment: z.string().max(30).optional(),
  })
  .transform((value) => value as unknown as AuthenticationResponseJSON);

/** WebAuthn options for the browser: passed to @simplewebauthn/browser as they are. */
export const webauthnOptionsSchema = z.looseObject({ challenge: z.string() });

export const recoveryCodesSchema = z.array(z.string()).describe('Shown once: store them somewhere safe. Each works once.');

export const userSchema = z.object({
  id: z.string(),
  email: z.string(),
  displayName: z.string(),
  status: z.enum(['active', 'disabled']),
  roleIds: z.array(z.string()),
  hasPassword: z.boolean(),
  hasSecondFactor: z.boolean(),
  createdAt: z.number(),
  updatedAt: z.number(),
});

export const roleSchema = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string(),
  permissions: z.array(z.enum(permissions)),
  conversationAccess: z.enum(conversationAccessLevels),
  isBuiltIn: z.boolean(),
});

export const roleInputSchema = z.object({
  name: z.string().trim().min(1).max(60),
  description: z.string().max(500).optional(),
  permissions: z.array(z.enum(permissions)).max(permissions.length),
  conversationAccess: z.enum(conversationAccessLevels).default('assigned'),
});

export const roleIdsSchema = z.array(z.string().min(1).max(100)).max(20);
