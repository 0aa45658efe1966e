import { createFbtraceId } from './identifiers.js';

/**
 * Meta's Graph API errors as the emulator answers them. Receivers must key on `code`; the
 * message and details are for people. HTTP status: 401 for an access-token problem, 5xx for the
 * transient server codes, 400 for everything else (Meta answers rate limits with 400 too).
 */
interface ErrorEntry {
  title: string;
  httpStatus: number;
  type?: string;
  /** Text of `error_data.details` (or of a failed status's `errors[].error_data.details`) when none is given. */
  details: string;
}

const errorCatalog: ReadonlyMap<number, ErrorEntry> = new Map([
  [1, { title: 'An unknown error occurred', httpStatus: 500, details: 'Please retry your request later.' }],
  [2, { title: 'Service temporarily unavailable', httpStatus: 503, details: 'Please retry your request later.' }],
  [4, { title: 'Application request limit reached', httpStatus: 400, details: 'The app reached its API call limit.' }],
  [100, { title: 'Invalid parameter', httpStatus: 400, details: 'Parameter value is not valid.' }],
  [190, { title: 'Invalid OAuth access token - Cannot parse access token', httpStatus: 401, details: 'The access token is missing, malformed or wrong.' }],
  [2500, { title: 'Unknown path components', httpStatus: 400, details: 'The path is not a Graph API path the emulator knows.' }],
  [80007, { title: 'Rate limit issues', httpStatus: 400, details: 'The WhatsApp Business Account reached its rate limit.' }],
  [130429, { title: 'Rate limit hit', httpStatus: 400, details: 'Cloud API message throughput has been reached.' }],
  [131000, { title: 'Something went wrong', httpStatus: 500, details: 'Message failed to send due to an unknown error.' }],
  [131005, { title: 'Access denied', httpStatus: 403, details: 'Permission is either not granted or has been removed.' }],
  [131008, { title: 'Required parameter is missing', httpStatus: 400, details: 'The request is missing a required parameter.' }],
  [131009, { title: 'Parameter value is not valid', httpStatus: 400, details: 'One or more parameter values are invalid.' }],
  [131016, { title: 'Service unavailable', httpStatus: 503, details: 'A service is temporarily unavailable.' }],
  [131026, { title: 'Message undeliverable', httpStatus: 400, details: 'Message Undeliverable.' }],
  [131047, { title: 'Re-engagement message', httpStatus: 400, details: 'Message failed to send because more than 24 hours have passed since the customer last replied to this number.' }],
  [131048, { title: 'Spam rate limit hit', httpStatus: 400, details: 'Message failed to send because there are restrictions on how many messages can be sent from this phone number.' }],
  [131049, { title: 'This message was not delivered to maintain healthy ecosystem engagement.', httpStatus: 400, details: 'Per-user marketing message limit.' }],
  [131050, { title: 'User has stopped marketing messages', httpStatus: 400, details: 'The user stopped receiving marketing messages from this business.' }],
  [131051, { title: 'Unsupported message type', httpStatus: 400, details: 'Message type is not currently supported.' }],
  [131053, { title: 'Media upload error', httpStatus: 400, details: 'Unable to upload the media used in the message.' }],
  [131056, { title: '(Business Account, Consumer Account) pair rate limit hit', httpStatus: 400, details: 'Too many messages sent from the sender phone number to the same recipient phone number in a short period of time.' }],
  [131057, { title: 'Account in maintenance mode', httpStatus: 400, details: 'Business Account is in maintenance mode.' }],
  [132000, { title: 'Number of parameters does not match the expected number of params', httpStatus: 400, details: 'The number of variable parameter values does not match the number of variable parameters defined in the template.' }],
  [132001, { title: 'Template name does not exist in the translation', httpStatus: 400, details: 'The template does not exist in the specified language or has not been approved.' }],
  [132015, { title: 'Template is Paused', httpStatus: 400, details: 'The template is paused due to low quality, so it cannot be sent.' }],
  [132016, { title: 'Template is Disabled', httpStatus: 400, details: 'The template has been paused too many times due to low quality and is now permanently disabled.' }],
  [133004, { title: 'Server temporarily unavailable', httpStatus: 503, details: 'The server is temporarily unavailable.' }],
]);

export function describeErrorCode(code: number): ErrorEntry {
  return errorCatalog.get(code) ?? { title: 'Error', httpStatus: 400, details: 'The request failed.' };
}

export interface GraphErrorInit {
  details?: string;
  /** Replaces the catalog's HTTP status (failure injection only). */
  httpStatus?: number;
  /** Replaces the `(#code) title` message. */
  message?: string;
  type?: string;
  subcode?: number;
}

/** A refusal the Graph routes turn into Meta's error body; thrown by the emulator's services. */
export class GraphError extends Error {
  readonly code: number;
  readonly httpStatus: number;
  readonly details: string;
  readonly type: string;
  readonly subcode: number | undefined;

  constructor(code: number, init: GraphErrorInit = {}) {
    const entry = describeErrorCode(code);
    super(init.message ?? `(#${code}) ${entry.title}`);
    this.name = 'GraphError';
    this.code = code;
    this.httpStatus = init.httpStatus ?? entry.httpStatus;
    this.details = init.details ?? entry.details;
    this.type = init.type ?? entry.type ?? 'OAuthException';
    this.subcode = init.subcode;
  }

  toBody(): GraphErrorBody {
    return {
      error: {
        message: this.message,
        type: this.type,
        code: this.code,
        ...(this.subcode === undefined ? {} : { error_subcode: this.subcode }),
        error_data: { messaging_product: 'whatsapp', details: this.details },
        fbtrace_id: createFbtraceId(),
      },
    };
  }
}

export interface GraphErrorBody {
  error: {
    message: string;
    type: string;
    code: number;
    error_subcode?: number;
    error_data: { messaging_product: 'whatsapp'; details: string };
    fbtrace_id: string;
  };
}

export function invalidParameter(details: string): GraphError {
  return new GraphError(100, { details });
}

/** Meta's answer for an object id that does not exist (or is not this token's). */
export function unknownObject(objectId: string, method: 'get' | 'post' | 'delete'): GraphError {
  return new GraphError(100, {
    subcode: 33,
    type: 'GraphMethodException',
    message: `Unsupported ${method} request. Object with ID '${objectId}' does not exist, cannot be loaded due to missing permissions, or does not support this operation.`,
    details: 'Unknown object id.',
  });
}

/** The `errors` item of a `failed` status webhook. */
export function buildStatusError(code: number, details?: string): { code: number; title: string; message: string; error_data: { details: string }; href: string } {
  const entry = describeErrorCode(code);
  return {
    code,
    title: entry.title,
    message: entry.title,
    error_data: { details: details ?? entry.details },
    href: 'https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/',
  };
}
