import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { AppError } from '../errors.js';
import type { LoginThrottle } from './login-throttle.js';
import type { PasskeyService, PasskeySummary } from './passkey-service.js';
import type { RecoveryCodes } from './recovery-codes.js';
import type { RecordSecurityEvent, RequestOrigin, SecurityOutcome } from './security-event.js';
import type { IssuedSession, SessionService } from './session-service.js';
import type { SignedInUser } from './signed-in-user.js';
import { actorOf } from './signed-in-user.js';
import type { TotpService } from './totp-service.js';

export type SecondFactor =
  | { method: 'totp'; code: string }
  | { method: 'recovery-code'; code: string }
  | { method: 'passkey'; response: AuthenticationResponseJSON };

export interface MfaStatus {
  hasTotp: boolean;
  passkeys: PasskeySummary[];
  recoveryCodesLeft: number;
  hasSecondFactor: boolean;
}

/** After a first factor is enrolled: the recovery codes (shown once) and, for a pending session, its new cookie. */
export interface EnrolmentResult {
  recoveryCodes: string[] | null;
  issued: IssuedSession | null;
}

/**
 * Second factors: enrolment (TOTP, passkeys, recovery codes) and verification, which completes a
 * pending sign-in or, on an active session, refreshes step-up. Wrong factors count against the
 * account's throttle and the session's own small budget.
 */
export function createMfaService(deps: {
  sessions: SessionService;
  throttle: LoginThrottle;
  totp: TotpService;
  passkeys: PasskeyService;
  recoveryCodes: RecoveryCodes;
  recordSecurityEvent: RecordSecurityEvent;
}) {
  const { sessions, throttle, totp, passkeys, recoveryCodes } = deps;

  async function describeMfa(userId: string): Promise<MfaStatus> {
    const [hasTotp, keys, recoveryCodesLeft] = await Promise.all([totp.hasActiveTotp(userId), passkeys.listPasskeys(userId), recoveryCodes.countUnused(userId)]);
    return { hasTotp, passkeys: keys, recoveryCodesLeft, hasSecondFactor: hasTotp || keys.length > 0 };
  }

  async function hasSecondFactor(userId: string): Promise<boolean> {
    return (await totp.hasActiveTotp(userId)) || (await passkeys.countPasskeys(userId)) > 0;
  }

  /**
   * Checks a second factor. A pending session becomes active under a new token (returned); an
   * active one records a fresh step-up (null returned).
   */
  async function verifySecondFactor(user: SignedInUser, factor: SecondFactor, origin: RequestOrigin): Promise<IssuedSession | null> {
    const isStepUp = user.session.state === 'active';
    const action = isStepUp ? 'auth.step-up' : 'auth.mfa.verify';
    if (isStepUp && factor.method === 'recovery-code') throw new AppError('INVALID_REQUEST', 'Step-up takes a TOTP code or a passkey.');
    const subject = { email: user.email, sourceAddress: origin.sourceAddress };
    const verdict = await throttle.beginAttempt(subject);
    if (!verdict.isAllowed) {
      await record(user, action, 'denied', origin, { method: factor.method, reason: 'throttled' });
      throw new AppError('LOGIN_THROTTLED', 'Too many attempts; try again later.');
    }
    if (!(await checkFactor(user, factor))) {
      const isSessionEnded = await sessions.recordMfaFailure(user.session.id);
      await record(user, action, 'failure', origin, { method: factor.method, sessionEnded: isSessionEnded });
      if (verdict.didLockAccount) await record(user, 'auth.lockout', 'success', origin, {});
      throw new AppError('SECOND_FACTOR_INVALID', isSessionEnded ? 'Too many wrong codes: sign in again.' : 'That code or passkey was not accepted.');
    }
    await throttle.forgiveAttempt(subject);
    const details: Record<string, string | number> = { method: factor.method };
    if (factor.method === 'recovery-code') details.recoveryCodesLeft = await recoveryCodes.countUnused(user.userId);
    await record(user, action, 'success', origin, details);
    if (isStepUp) {
      await sessions.recordStepUp(user.session.id);
      return null;
    }
    return sessions.activateSession(user.session.id);
  }

  async function checkFactor(user: SignedInUser, factor: SecondFactor): Promise<boolean> {
    if (factor.method === 'totp') return totp.verifyCode(user.userId, factor.code);
    if (factor.method === 'recovery-code') return recoveryCodes.useCode(user.userId, factor.code);
    return passkeys.verifyAuthentication(user.session.id, user.userId, factor.response);
  }

  async function startTotpEnrolment(user: SignedInUser): Promise<{ otpauthUri: string }> {
    return totp.startEnrolment(user.userId, user.email);
  }

  async function confirmTotpEnrolment(user: SignedInUser, code: string, origin: RequestOrigin): Promise<EnrolmentResult> {
    const hadSecondFactor = await hasSecondFactor(user.userId);
    const hadTotp = await totp.hasActiveTotp(user.userId);
    if (!(await totp.confirmEnrolment(user.userId, code))) {
      await record(user, 'auth.mfa.totp.enrol', 'failure', origin, { reason: 'wrong-code' });
      throw new AppError('SECOND_FACTOR_INVALID', 'That code does not match; check the time on your device and try the current code.');
    }
    await record(user, 'auth.mfa.totp.enrol', 'success', origin, { replacedEarlier: hadTotp });
    return finishEnrolment(user, hadSecondFactor, origin);
  }

  async function createPasskeyRegistrationOptions(user: SignedInUser): Promise<PublicKeyCredentialCreationOptionsJSON> {
    return passkeys.createRegistrationOptions(user.session.id, { id: user.userId, email: user.email, displayName: user.displayName });
  }

  async function registerPasskey(user: SignedInUser, response: RegistrationResponseJSON, name: string, origin: RequestOrigin): Promise<EnrolmentResult & { passkey: PasskeySummary }> {
    const hadSecondFactor = await hasSecondFactor(user.userId);
    const passkey = await passkeys.verifyRegistration(user.session.id, user.userId, response, name);
    if (!passkey) {
      await record(user, 'auth.mfa.passkey.register', 'failure', origin, {});
      throw new AppError('SECOND_FACTOR_INVALID', 'The passkey could not be registered; start again.');
    }
    await record(user, 'auth.mfa.passkey.register', 'success', origin, { passkeyId: passkey.id });
    return { passkey, ...(await finishEnrolment(user, hadSecondFactor, origin)) };
  }

  async function createPasskeyAuthenticationOptions(user: SignedInUser): Promise<PublicKeyCredentialRequestOptionsJSON> {
    return passkeys.createAuthenticationOptions(user.session.id, user.userId);
  }

  /** The first factor enrolled also brings recovery codes, and completes a pending sign-in. */
  async function finishEnrolment(user: SignedInUser, hadSecondFactor: boolean, origin: RequestOrigin): Promise<EnrolmentResult> {
    if (hadSecondFactor) return { recoveryCodes: null, issued: null };
    const codes = await recoveryCodes.generateCodes(user.userId);
    await record(user, 'auth.mfa.recovery-codes.generate', 'success', origin, { count: codes.length });
    const issued = user.session.state === 'pending-mfa' ? await sessions.activateSession(user.session.id) : null;
    return { recoveryCodes: codes, issued };
  }

  async function regenerateRecoveryCodes(user: SignedInUser, origin: RequestOrigin): Promise<string[]> {
    const codes = await recoveryCodes.generateCodes(user.userId);
    await record(user, 'auth.mfa.recovery-codes.generate', 'success', origin, { count: codes.length });
    return codes;
  }

  async function removePasskey(user: SignedInUser, passkeyId: string, origin: RequestOrigin): Promise<void> {
    const status = await describeMfa(user.userId);
    if (!status.passkeys.some((passkey) => passkey.id === passkeyId)) throw new AppError('NOT_FOUND', 'You have no passkey with that id.');
    if (!status.hasTotp && status.passkeys.length === 1) throw new AppError('LAST_SECOND_FACTOR', 'This is your only second factor; add another before removing it.');
    await passkeys.removePasskey(user.userId, passkeyId);
    await record(user, 'auth.mfa.passkey.remove', 'success', origin, { passkeyId });
  }

  async function removeTotp(user: SignedInUser, origin: RequestOrigin): Promise<void> {
    const status = await describeMfa(user.userId);
    if (!status.hasTotp) throw new AppError('NOT_FOUND', 'You have no authenticator app enrolled.');
    if (status.passkeys.length === 0) throw new AppError('LAST_SECOND_FACTOR', 'The authenticator app is your only second factor; add a passkey before removing it.');
    await totp.removeTotp(user.userId);
    await record(user, 'auth.mfa.totp.remove', 'success', origin, {});
  }

  async function record(user: SignedInUser, action: string, outcome: SecurityOutcome, origin: RequestOrigin, details: Record<string, string | number | boolean | null>): Promise<void> {
    await deps.recordSecurityEvent({ actor: actorOf(user), action, outcome, sourceAddress: origin.sourceAddress, requestId: origin.requestId, details: { sessionId: user.session.id, ...details } });
  }

  return {
    describeMfa,
    hasSecondFactor,
    verifySecondFactor,
    startTotpEnrolment,
    confirmTotpEnrolment,
    createPasskeyRegistrationOptions,
    registerPasskey,
    createPasskeyAuthenticationOptions,
    regenerateRecoveryCodes,
    removePasskey,
    removeTotp,
  };
}

export type MfaService = ReturnType<typeof createMfaService>;
