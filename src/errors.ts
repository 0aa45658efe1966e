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
  NOT_FOUND: 404,
  PAYLOAD_TOO_LARGE: 413,
  /** The webhook accepts application/json only. */
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMITED: 429,
  /** Too much work queued; the caller (Meta) should retry later. */
  OVERLOADED: 503,
  /** The store could not commit; nothing was acknowledged. */
  STORE_UNAVAILABLE: 503,
  /** A ciphertext failed authentication: wrong key, wrong row/column, or tampered. */
  DECRYPT_FAILED: 500,
  /** The key management provider refused or could not be reached. */
  KMS_UNAVAILABLE: 503,
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
