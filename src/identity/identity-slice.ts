import type { FastifyInstance } from 'fastify';
import type { Clock } from '../clock.js';
import { hkdfSha256 } from '../crypto/primitives.js';
import type { Db } from '../db/database.js';
import type { SessionGuardDependencies } from './access-guard.js';
import { registerAdminRoutes } from './admin-routes.js';
import type { ApiKeyService } from './api-key-service.js';
import { registerAuthRoutes } from './auth-routes.js';
import type { IdentityConfig } from './identity-settings.js';
import { createLoginThrottle } from './login-throttle.js';
import { createMfaService } from './mfa-service.js';
import { registerMfaRoutes } from './mfa-routes.js';
import { createPasskeyService } from './passkey-service.js';
import { createPasswordHasher } from './password-hasher.js';
import type { PasswordHashOptions } from './password-hasher.js';
import { createRecoveryCodes } from './recovery-codes.js';
import { createRoleService } from './role-service.js';
import { createSecretBox } from './secret-box.js';
import type { SecretKeyring } from './secret-box.js';
import type { RecordSecurityEvent } from './security-event.js';
import { createSessionInfo } from './session-info.js';
import { createSessionService } from './session-service.js';
import { createSetupLinks } from './setup-links.js';
import { createSignInService } from './sign-in-service.js';
import { createTotpService } from './totp-service.js';
import { createUserService } from './user-service.js';

export interface IdentitySliceOptions {
  db: Db;
  clock: Clock;
  settings: IdentityConfig;
  /** Seals TOTP secrets; the root passes the key store's system data key. */
  secretKeys: SecretKeyring;
  apiKeys: ApiKeyService;
  /** Every login, failure, lockout, MFA change, role change and revocation; the root connects the audit log. */
  recordSecurityEvent: RecordSecurityEvent;
  /** Tests may lower argon2's cost; production keeps the library's defaults. */
  passwordHashOptions?: PasswordHashOptions;
}

/**
 * Users, passwords, second factors, sessions and roles, wired together. The root passes `guard`
 * to `registerApi` and calls `registerRoutes` inside it, and prints `ensureBootstrapLink()` at start.
 */
export function createIdentitySlice(options: IdentitySliceOptions) {
  const { db, clock, settings, recordSecurityEvent } = options;
  const secrets = createSecretBox(options.secretKeys);
  let accountKeySecret: Promise<Buffer> | null = null;
  // Throttle keys are keyed hashes of emails; the key derives from the system key, never stored.
  const getAccountKeySecret = () =>
    (accountKeySecret ??= options.secretKeys.getCurrentKey().then(({ key }) => hkdfSha256(key, Buffer.alloc(0), Buffer.from('rampart login throttle v1'), 32)));

  const hasher = createPasswordHasher(options.passwordHashOptions);
  const sessions = createSessionService({ db, clock, settings });
  const throttle = createLoginThrottle({ db, clock, getAccountKeySecret });
  const roles = createRoleService({ db, clock });
  const setupLinks = createSetupLinks({ db, clock });
  const totp = createTotpService({ db, clock, secrets });
  const passkeys = createPasskeyService({ db, clock, settings });
  const recoveryCodes = createRecoveryCodes({ db, clock });
  const users = createUserService({ db, clock, roles, sessions, setupLinks, throttle, totp, passkeys, recoveryCodes, recordSecurityEvent });
  const signIn = createSignInService({ db, clock, hasher, throttle, sessions, users, setupLinks, recordSecurityEvent });
  const mfa = createMfaService({ sessions, throttle, totp, passkeys, recoveryCodes, recordSecurityEvent });
  const sessionInfo = createSessionInfo({ users, mfa, settings });

  const guard: SessionGuardDependencies = { sessions, users, mfa, settings, clock, recordSecurityEvent };

  async function registerRoutes(api: FastifyInstance): Promise<void> {
    await registerAuthRoutes(api, { signIn, sessions, sessionInfo, settings, clock });
    await registerMfaRoutes(api, { mfa, sessionInfo, settings, clock });
    await registerAdminRoutes(api, { users, roles, apiKeys: options.apiKeys, recordSecurityEvent });
  }

  return {
    guard,
    registerRoutes,
    /** While no user exists: a one-time `/setup#token=…` path for the start log; null otherwise. */
    ensureBootstrapLink: () => setupLinks.ensureBootstrapLink(),
    users,
    roles,
    sessions,
    signIn,
    mfa,
    totp,
    setupLinks,
  };
}

export type IdentitySlice = ReturnType<typeof createIdentitySlice>;
