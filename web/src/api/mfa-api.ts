import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/browser';
import type { SessionInfo } from './auth-api';
import type { ApiClient } from './http-client';

export interface PasskeySummary {
  id: string;
  name: string;
  createdAt: number;
  lastUsedAt: number | null;
  isBackedUp: boolean;
}

export interface MfaStatus {
  hasTotp: boolean;
  passkeys: PasskeySummary[];
  recoveryCodesLeft: number;
  hasSecondFactor: boolean;
}

/** After enrolling a factor: the (possibly rotated) session, and recovery codes when it was the first factor. */
export interface EnrolmentAnswer {
  session: SessionInfo;
  recoveryCodes: string[] | null;
}

/**
 * Where a factor is used: while signing in (or setting up), the page explains a 401 itself (a wrong
 * code, a pending session that timed out); in a signed-in session a 401 ends the session.
 */
export type Stage = 'sign-in' | 'signed-in';
const signInStep = { onUnauthenticated: 'throw' } as const;
const optionsFor = (stage: Stage) => (stage === 'sign-in' ? signInStep : {});

/** `/api/v1/auth/…` second factors: TOTP, recovery codes, passkeys, step-up. */
export function createMfaApi(client: ApiClient) {
  return {
    getStatus: (signal?: AbortSignal) => client.requestJson<MfaStatus>('/api/v1/auth/mfa', { signal }),
    startTotpEnrolment: (during: Stage) => client.requestJson<{ otpauthUri: string }>('/api/v1/auth/totp/enrolment', { ...optionsFor(during), method: 'POST' }),
    confirmTotpEnrolment: (code: string, during: Stage) =>
      client.requestJson<EnrolmentAnswer>('/api/v1/auth/totp/confirm', { ...optionsFor(during), method: 'POST', body: { code } }),
    removeTotp: () => client.requestJson<void>('/api/v1/auth/totp', { method: 'DELETE' }),
    verifyTotp: (code: string) => client.requestJson<SessionInfo>('/api/v1/auth/totp/verify', { ...signInStep, method: 'POST', body: { code } }),
    verifyRecoveryCode: (code: string) => client.requestJson<SessionInfo>('/api/v1/auth/recovery-codes/verify', { ...signInStep, method: 'POST', body: { code } }),
    regenerateRecoveryCodes: () => client.requestJson<{ recoveryCodes: string[] }>('/api/v1/auth/recovery-codes', { method: 'POST' }),
    getPasskeyRegistrationOptions: (during: Stage) =>
      client.requestJson<PublicKeyCredentialCreationOptionsJSON>('/api/v1/auth/passkeys/registration-options', { ...optionsFor(during), method: 'POST' }),
    registerPasskey: (response: RegistrationResponseJSON, name: string, during: Stage) =>
      client.requestJson<EnrolmentAnswer & { passkey: PasskeySummary }>('/api/v1/auth/passkeys/registration', {
        ...optionsFor(during),
        method: 'POST',
        body: { response, name },
      }),
    getPasskeyAuthenticationOptions: (during: Stage) =>
      client.requestJson<PublicKeyCredentialRequestOptionsJSON>('/api/v1/auth/passkeys/authentication-options', { ...optionsFor(during), method: 'POST' }),
    verifyPasskey: (response: AuthenticationResponseJSON) =>
      client.requestJson<SessionInfo>('/api/v1/auth/passkeys/authentication', { ...signInStep, method: 'POST', body: { response } }),
    removePasskey: (id: string) => client.requestJson<void>(`/api/v1/auth/passkeys/${encodeURIComponent(id)}`, { method: 'DELETE' }),
    stepUpWithTotp: (code: string) => client.requestJson<SessionInfo>('/api/v1/auth/step-up', { method: 'POST', body: { method: 'totp', code } }),
    stepUpWithPasskey: (response: AuthenticationResponseJSON) =>
      client.requestJson<SessionInfo>('/api/v1/auth/step-up', { method: 'POST', body: { method: 'passkey', response } }),
  };
}

export type MfaApi = ReturnType<typeof createMfaApi>;
