import { isApiError } from './api-error';

/** An error put into words for a person: what happened and what to do; the code and request id for support. */
export interface ErrorDescription {
  summary: string;
  detail: string | null;
  code: string | null;
  requestId: string | null;
}

/** Codes whose server message is already the best explanation (it names the rule or the field). */
const serverMessageCodes = new Set([
  'INVALID_REQUEST',
  'PASSWORD_REJECTED',
  'SECOND_FACTOR_INVALID',
  'EMAIL_TAKEN',
  'ROLE_NAME_TAKEN',
  'ROLE_BUILT_IN',
  'ROLE_IN_USE',
  'LAST_USER_MANAGER',
  'LAST_SECOND_FACTOR',
  'TEMPLATE_NOT_APPROVED',
]);

/** Codes whose server message adds a useful specific (which permission, which HTTP status, what the browser said). */
const detailCodes = new Set(['FORBIDDEN', 'UNEXPECTED_RESPONSE', 'UPSTREAM_UNAVAILABLE', 'PASSKEY_FAILED']);

const summaries: Record<string, string> = {
  INVALID_CREDENTIALS: 'The email address or password is not right.',
  LOGIN_THROTTLED:
    'Too many failed attempts. For your protection, sign-in is paused for this account or from your network for a while (15 minutes after ten failures, longer after repeated lockouts). Wait and try again, or ask an administrator to reset your password.',
  MFA_REQUIRED: 'Finish signing in with your second factor first.',
  STEP_UP_REQUIRED: 'This action needs you to confirm it with your second factor, so it was not carried out. Try again and confirm when asked.',
  SESSION_EXPIRED: 'Your session ended. Sign in again.',
  UNAUTHENTICATED: 'You are not signed in, or your session ended. Sign in again.',
  SETUP_LINK_INVALID:
    'This setup link is unknown, already used or expired (a link works once, for 24 hours). Ask an administrator for a new one; for the first admin, restart Rampart and use the new link from its log.',
  CSRF_REJECTED: 'The request was refused because it did not come from this page as expected. Reload the page and try again.',
  FORBIDDEN: 'Your role does not allow this. Ask an administrator if you need it.',
  WINDOW_CLOSED:
    'The 24-hour customer-service window is closed: a free-form reply is only possible within 24 hours of the customer’s last message. Wait for the customer to write again, or send an approved template through the API.',
  RECIPIENT_OPTED_OUT: 'The customer opted out of messages from the business, so this message was not sent.',
  SENDING_NOT_CONFIGURED: 'Sending is not configured on this server (WHATSAPP_ACCESS_TOKEN and WHATSAPP_PHONE_NUMBER_ID), so nothing can be sent.',
  UPSTREAM_UNAVAILABLE: 'WhatsApp’s Cloud API refused the request or could not be reached. Try again in a moment.',
  AUDIT_UNAVAILABLE: 'The audit log could not record this action, so it was not carried out. Try again; if it keeps happening, tell your operator.',
  RATE_LIMITED: 'Too many requests in a short time. Wait a moment and try again.',
  OVERLOADED: 'Rampart is busy right now. Try again in a few seconds.',
  STORE_UNAVAILABLE: 'Rampart’s database is not available right now. Try again shortly; if it persists, tell your operator.',
  KMS_UNAVAILABLE: 'Rampart’s key service is not available right now, so encrypted data cannot be read. Tell your operator.',
  DECRYPT_FAILED: 'Stored data could not be decrypted. Tell your operator; the request id identifies the problem in the logs.',
  INTERNAL: 'Something went wrong on the server. Try again; the request id identifies the problem in the logs.',
  PAYLOAD_TOO_LARGE: 'That is more than the server accepts in one request.',
  NETWORK_ERROR: 'Rampart could not be reached. Check your connection and that the gateway is running, then try again.',
  UNEXPECTED_RESPONSE: 'The server answered in an unexpected way.',
  PASSKEY_CANCELLED: 'The passkey request was cancelled or timed out. Try again when you are ready.',
  PASSKEY_UNSUPPORTED: 'This browser cannot use passkeys here. Use your authenticator app instead.',
  PASSKEY_FAILED: 'The browser could not complete the passkey request.',
};

/** Puts any thrown value into words; never shows a bare code. */
export function describeError(error: unknown): ErrorDescription {
  if (!isApiError(error)) {
    const message = error instanceof Error ? error.message : null;
    return { summary: 'Something went wrong in the dashboard.', detail: message, code: null, requestId: null };
  }
  const { code, message, requestId } = error;
  if (code === 'NOT_FOUND') {
    const summary = error.isMissingRoute ? 'This server does not offer this yet (its API has no such route). Update Rampart to a version that includes it.' : message;
    return { summary, detail: null, code, requestId };
  }
  if (serverMessageCodes.has(code)) return { summary: message, detail: null, code, requestId };
  const summary = summaries[code];
  if (summary === undefined) return { summary: message, detail: withRetryHint(null, error.retryAfterSeconds), code, requestId };
  const detail = detailCodes.has(code) && message !== summary ? message : null;
  return { summary, detail: withRetryHint(detail, error.retryAfterSeconds), code, requestId };
}

function withRetryHint(detail: string | null, retryAfterSeconds: number | null): string | null {
  if (retryAfterSeconds === null) return detail;
  const minutes = Math.ceil(retryAfterSeconds / 60);
  const hint = retryAfterSeconds < 90 ? `You can try again in about ${retryAfterSeconds} seconds.` : `You can try again in about ${minutes} minutes.`;
  return detail ? `${detail} ${hint}` : hint;
}
