import { ApiError, sessionEndingCodes } from './api-error';

type QueryValue = string | number | boolean | null | undefined;

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Sent as JSON. */
  body?: unknown;
  query?: Record<string, QueryValue>;
  /** Extra request headers (e.g. Idempotency-Key). */
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /**
   * What a 401 meaning "no session" does: `end-session` (default) hands it to the session handler,
   * which returns the app to sign-in; `throw` leaves it to the caller (sign-in and setup steps,
   * the start-up session probe).
   */
  onUnauthenticated?: 'end-session' | 'throw';
  /** Ask for a second factor and retry once on STEP_UP_REQUIRED (default true). */
  retriesAfterStepUp?: boolean;
}

export interface DownloadedFile {
  blob: Blob;
  fileName: string | null;
}

const SAFE_METHODS = new Set(['GET', 'HEAD']);
const backgroundSignals = new WeakSet<AbortSignal>();

/**
 * Marks requests made with this signal as background polling: the server then does not count them
 * as the person's activity, so an unattended tab still reaches the idle timeout.
 */
export function markAsBackground(signal: AbortSignal): AbortSignal {
  backgroundSignals.add(signal);
  return signal;
}
const CSRF_COOKIE = 'rampart_csrf';

/**
 * The one way the dashboard talks to `/api/v1`: same-origin fetch with the session cookie, the
 * `x-csrf-token` header on state-changing requests, Rampart's error shape turned into ApiError,
 * step-up handled by asking the user and retrying, and a lost session reported once to the app.
 */
export function createApiClient({ baseUrl = '' }: { baseUrl?: string } = {}) {
  let rememberedCsrfToken: string | null = null;
  let clockOffsetMs = 0;
  let handleSessionEnded: (error: ApiError) => void = () => undefined;
  let handleStepUpRequired: () => Promise<boolean> = async () => false;

  /** The double-submit cookie is current even after another tab signed in again; the remembered token is the fallback. */
  function currentCsrfToken(): string | null {
    for (const part of document.cookie.split(';')) {
      const [name, ...rest] = part.trim().split('=');
      if (name === CSRF_COOKIE && rest.length > 0 && rest.join('=') !== '') return decodeURIComponent(rest.join('='));
    }
    return rememberedCsrfToken;
  }

  function buildUrl(path: string, query: Record<string, QueryValue> | undefined): string {
    const search = new URLSearchParams();
    for (const [key, value] of Object.entries(query ?? {})) {
      if (value !== undefined && value !== null && value !== '') search.set(key, String(value));
    }
    const suffix = search.toString();
    return `${baseUrl}${path}${suffix ? `?${suffix}` : ''}`;
  }

  async function send(path: string, options: RequestOptions, hasSteppedUp = false): Promise<Response> {
    const method = options.method ?? 'GET';
    const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    const csrfToken = SAFE_METHODS.has(method) ? null : currentCsrfToken();
    if (csrfToken) headers['x-csrf-token'] = csrfToken;
    if (options.signal && backgroundSignals.has(options.signal)) headers['x-rampart-background'] = '1';
    let response: Response;
    try {
      response = await fetch(buildUrl(path, options.query), {
        method,
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        credentials: 'same-origin',
        cache: 'no-store',
        redirect: 'error',
        signal: options.signal,
      });
    } catch (cause) {
      if (options.signal?.aborted) throw cause;
      throw new ApiError({ code: 'NETWORK_ERROR', message: 'Rampart could not be reached.', status: 0 });
    }
    noteServerTime(response);
    if (response.ok) return response;
    const error = await readError(response);
    if (error.code === 'STEP_UP_REQUIRED' && !hasSteppedUp && options.retriesAfterStepUp !== false) {
      if (await handleStepUpRequired()) return send(path, options, true);
    }
    if (response.status === 401 && sessionEndingCodes.has(error.code) && options.onUnauthenticated !== 'throw') handleSessionEnded(error);
    throw error;
  }

  function noteServerTime(response: Response): void {
    const date = Date.parse(response.headers.get('date') ?? '');
    if (Number.isFinite(date)) clockOffsetMs = date - Date.now();
  }

  async function requestJson<T>(path: string, options: RequestOptions = {}): Promise<T> {
    const response = await send(path, options);
    if (response.status === 204) return undefined as T;
    try {
      return (await response.json()) as T;
    } catch {
      throw new ApiError({ code: 'UNEXPECTED_RESPONSE', message: `The server's answer was not JSON (HTTP ${response.status}).`, status: response.status });
    }
  }

  async function requestText(path: string, options: RequestOptions = {}): Promise<string> {
    return (await send(path, options)).text();
  }

  async function requestFile(path: string, options: RequestOptions = {}): Promise<DownloadedFile> {
    const response = await send(path, options);
    return { blob: await response.blob(), fileName: parseFileName(response.headers.get('content-disposition')) };
  }

  return {
    requestJson,
    requestText,
    requestFile,
    rememberCsrfToken: (token: string | null) => void (rememberedCsrfToken = token),
    /** The server's clock now, from the Date header of the latest answer (second resolution). */
    serverNow: () => Date.now() + clockOffsetMs,
    onSessionEnded: (handler: (error: ApiError) => void) => void (handleSessionEnded = handler),
    /** The handler resolves true once the user confirmed with a second factor, false if they cancelled. */
    onStepUpRequired: (handler: () => Promise<boolean>) => void (handleStepUpRequired = handler),
  };
}

export type ApiClient = ReturnType<typeof createApiClient>;

async function readError(response: Response): Promise<ApiError> {
  const retryAfter = Number(response.headers.get('retry-after'));
  const retryAfterSeconds = Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : null;
  try {
    const body: unknown = await response.json();
    if (isErrorBody(body)) return new ApiError({ ...body, status: response.status, retryAfterSeconds });
  } catch {
    // Not Rampart's error shape (a proxy's page, an empty body): described by status below.
  }
  return new ApiError({ code: 'UNEXPECTED_RESPONSE', message: `The server answered HTTP ${response.status}.`, status: response.status, retryAfterSeconds });
}

function isErrorBody(body: unknown): body is { code: string; message: string; requestId?: string } {
  if (typeof body !== 'object' || body === null) return false;
  const candidate = body as Record<string, unknown>;
  return typeof candidate.code === 'string' && typeof candidate.message === 'string';
}

function parseFileName(header: string | null): string | null {
  if (!header) return null;
  const encoded = /filename\*=UTF-8''([^;]+)/i.exec(header);
  if (encoded?.[1]) return decodeURIComponent(encoded[1]);
  const plain = /filename="?([^";]+)"?/i.exec(header);
  return plain?.[1] ?? null;
}
