import { browserSupportsWebAuthn, startAuthentication, startRegistration } from '@simplewebauthn/browser';
import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/browser';
import { ApiError } from '../api/api-error';

/** Asks the browser (and the person) to create a passkey for these options. Failures become ApiErrors with PASSKEY_* codes. */
export async function createPasskeyCredential(optionsJSON: PublicKeyCredentialCreationOptionsJSON): Promise<RegistrationResponseJSON> {
  assertSupported();
  try {
    return await startRegistration({ optionsJSON });
  } catch (error) {
    throw toPasskeyError(error, 'registration');
  }
}

/** Asks the browser to sign this challenge with one of the user's passkeys. */
export async function assertWithPasskey(optionsJSON: PublicKeyCredentialRequestOptionsJSON): Promise<AuthenticationResponseJSON> {
  assertSupported();
  try {
    return await startAuthentication({ optionsJSON });
  } catch (error) {
    throw toPasskeyError(error, 'authentication');
  }
}

export function isPasskeySupported(): boolean {
  return browserSupportsWebAuthn();
}

function assertSupported(): void {
  if (!browserSupportsWebAuthn()) throw new ApiError({ code: 'PASSKEY_UNSUPPORTED', message: 'WebAuthn is not available in this browser.', status: 0 });
}

function toPasskeyError(error: unknown, ceremony: 'registration' | 'authentication'): ApiError {
  const name = error instanceof Error ? error.name : '';
  // The browser reports a cancelled dialog, a timeout and a refused gesture alike, on purpose.
  if (name === 'NotAllowedError' || name === 'AbortError') return new ApiError({ code: 'PASSKEY_CANCELLED', message: 'The passkey request was cancelled.', status: 0 });
  if (ceremony === 'registration' && name === 'InvalidStateError') {
    return new ApiError({ code: 'PASSKEY_FAILED', message: 'This authenticator already holds a passkey for your account.', status: 0 });
  }
  const message = error instanceof Error ? error.message : 'The passkey request failed.';
  return new ApiError({ code: 'PASSKEY_FAILED', message, status: 0 });
}
