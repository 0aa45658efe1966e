/** Codes the dashboard itself gives to failures that never reached Rampart's error handler. */
export type ClientErrorCode = 'NETWORK_ERROR' | 'UNEXPECTED_RESPONSE';

/**
 * A failed API call: Rampart's `{ code, message, requestId }` (src/errors.ts), the HTTP status,
 * and the Retry-After hint when the server gave one. Pages show it through `describeError`.
 */
export class ApiError extends Error {
  readonly code: string;
  readonly status: number;
  readonly requestId: string | null;
  readonly retryAfterSeconds: number | null;

  constructor(init: { code: string; message: string; status: number; requestId?: string | null; retryAfterSeconds?: number | null }) {
    super(init.message);
    this.name = 'ApiError';
    this.code = init.code;
    this.status = init.status;
    this.requestId = init.requestId ?? null;
    this.retryAfterSeconds = init.retryAfterSeconds ?? null;
  }

  /** The route does not exist on this server (an older gateway), as opposed to a missing record. */
  get isMissingRoute(): boolean {
    return this.status === 404 && this.message === 'No such route.';
  }
}

export function isApiError(error: unknown): error is ApiError {
  return error instanceof ApiError;
}

/** Codes that mean the session is gone or not complete: the app returns to the sign-in page. */
export const sessionEndingCodes: ReadonlySet<string> = new Set(['UNAUTHENTICATED', 'SESSION_EXPIRED', 'MFA_REQUIRED']);
