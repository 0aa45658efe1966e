/**
 * Errors are codes. Services throw `AppError(code, message)`; the HTTP layer maps the code to a
 * status and `{ code, message, requestId }`. Messages are written for the caller and must never
 * quote customer data, secrets, or the text of a database, crypto or upstream error.
 */
export const errorCodes = {
  /** The request body or parameters failed validation. */
  INVALID_REQUEST: 400,
  /** The webhook body is not JSON, too deeply nested, or not a Cloud API envelope. */
  INVALID_PAYLOAD: 400,
  /** X-Hub-Signature-256 missing, malformed or not matching the raw body. */
  INVALID_SIGNATURE: 401,
  /** No valid credentials (API key or session) came with the request. */
  UNAUTHENTICATED: 401,
  /** The credentials are valid but lack the scope or permission this route needs. */
  FORBIDDEN: 403,
  /** A free-form message outside the 24-hour customer-service window: only a template may be sent. */
  WINDOW_CLOSED: 409,
  /** The recipient opted out of marketing messages; this template is not known to be utility or authentication. */
  RECIPIENT_OPTED_OUT: 409,
  /** The template is not approved for this language in the business account (Meta would refuse it with 132001). */
  TEMPLATE_NOT_APPROVED: 422,
  TEMPLATE_CONTENT_REFUSED: 422,
  /** Meta's Graph API refused or could not be reached for a call made on the caller's behalf. */
  UPSTREAM_UNAVAILABLE: 502,
  /** WHATSAPP_ACCESS_TOKEN or WHATSAPP_PHONE_NUMBER_ID is not configured, so nothing can be sent. */
  SENDING_NOT_CONFIGURED: 503,
  /** The Idempotency-Key was already used with a different request body. */
  IDEMPOTENCY_KEY_REUSED: 422,
  /** The caller's address is not on the IP allowlist. */
  FORBIDDEN_ADDRESS: 403,
  /** hub.verify_token did not match during the webhook handshake. */
  VERIFY_TOKEN_MISMATCH: 403,
  /** Sign-in failed: the email or password is wrong (the same answer whether or not the email exists). */
  INVALID_CREDENTIALS: 401,
  /** Too many failed sign-ins for this account or from this address; try later (which of the two is not said). */
  LOGIN_THROTTLED: 429,
  /** The session has a password but still needs a second factor (or, without one, must enrol one). */
  MFA_REQUIRED: 401,
  /** The route needs a second factor within the last few minutes: POST /api/v1/auth/step-up first. */
  STEP_UP_REQUIRED: 401,
  /** The session passed its idle timeout or its absolute lifetime: sign in again. */
  SESSION_EXPIRED: 401,
  /** The TOTP code, recovery code or passkey assertion was wrong, reused or expired. */
  SECOND_FACTOR_INVALID: 401,
  /** The bootstrap or setup link is unknown, used or expired. */
  SETUP_LINK_INVALID: 401,
  /** A state-changing request with a session lacked the right x-csrf-token or came from another site. */
  CSRF_REJECTED: 403,
  /** The new password is too short, too long, too common or built from the email address. */
  PASSWORD_REJECTED: 422,
  /** Another user already has this email address. */
  EMAIL_TAKEN: 409,
  /** Another role already has this name (names are compared without case). */
  ROLE_NAME_TAKEN: 409,
  /** Built-in roles cannot be changed or deleted; create a custom role instead. */
  ROLE_BUILT_IN: 409,
  /** The custom role is still assigned to users; take it from them first. */
  ROLE_IN_USE: 409,
  /** The change would leave no active user who can manage users. */
  LAST_USER_MANAGER: 409,
  /** The second factor is the user's last one; enrol another before removing it. */
  LAST_SECOND_FACTOR: 409,
  NOT_FOUND: 404,
  PAYLOAD_TOO_LARGE: 413,
  /** The webhook accepts application/json only. */
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMITED: 429,
  /** Too much work queued; the caller (Meta) should retry later. */
  OVERLOADED: 503,
  /** The audit log could not record the action, so it was not carried out (nothing was released). */
  AUDIT_UNAVAILABLE: 503,
  /** The store could not commit; nothing was acknowledged. */
  STORE_UNAVAILABLE: 503,
  /** A ciphertext failed authentication: wrong key, wrong row/column, or tampered. */
  DECRYPT_FAILED: 500,
  /** The key management provider refused or could not be reached. */
  KMS_UNAVAILABLE: 503,
  /** A key rotation step would lose data (retiring the current version or one still in use), or cannot apply to this KMS. */
  KEY_ROTATION_REFUSED: 409,
  /** Configuration is invalid; the message lists every problem. */
  CONFIG_INVALID: 500,
  INTERNAL: 500,
} as const;

export type ErrorCode = keyof typeof errorCodes;

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly statusCode: number;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AppError';
    this.code = code;
    this.statusCode = errorCodes[code];
  }
}

export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError;
}
