/** An event handed to forwarding by the outbox. It carries no endpoint state; retries reuse it as is. */
export interface ForwardingEvent {
  /** Rampart's id for the event; sent as `webhook-id`, the receiver's idempotency key. */
  id: string;
  /** Such as `message.received` or `message.status`. */
  type: string;
  /** When the event happened, ms since the epoch. */
  timestamp: number;
  /** JSON-serialisable; becomes `data`. */
  payload: unknown;
}

export type SerialisedMessage = { isValid: true; body: Buffer } | { isValid: false; problem: string };

// Printable ASCII without spaces: safe in a header and unambiguous in the signed `id.timestamp.body`.
const messageIdPattern = /^[\x21-\x7e]{1,255}$/;
const eventTypePattern = /^[a-z][a-z0-9_-]*(?:\.[a-z0-9_-]+)*$/i;
export const MAX_EVENT_TYPE_LENGTH = 100;

export function isValidEventType(type: string): boolean {
  return type.length <= MAX_EVENT_TYPE_LENGTH && eventTypePattern.test(type);
}

/**
 * The Standard Webhooks body `{ type, timestamp, data }`, serialised once: the same event gives
 * the same bytes on every attempt. Problems name the field, never its content.
 */
export function serialiseWebhookMessage(event: ForwardingEvent): SerialisedMessage {
  if (typeof event.id !== 'string' || !messageIdPattern.test(event.id)) {
    return { isValid: false, problem: 'event id must be 1–255 printable ASCII characters without spaces' };
  }
  if (typeof event.type !== 'string' || !isValidEventType(event.type)) {
    return { isValid: false, problem: 'event type must be dotted words such as message.received' };
  }
  const time = new Date(event.timestamp);
  if (typeof event.timestamp !== 'number' || Number.isNaN(time.getTime())) {
    return { isValid: false, problem: 'event timestamp must be ms since the epoch' };
  }
  let body: string | undefined;
  try {
    body = JSON.stringify({ type: event.type, timestamp: time.toISOString(), data: event.payload });
  } catch {
    body = undefined;
  }
  // JSON.stringify drops undefined, functions and symbols silently; an event without data is a bug.
  const payloadType = typeof event.payload;
  if (body === undefined || payloadType === 'undefined' || payloadType === 'function' || payloadType === 'symbol') {
    return { isValid: false, problem: 'event payload is not JSON-serialisable' };
  }
  return { isValid: true, body: Buffer.from(body, 'utf8') };
}
