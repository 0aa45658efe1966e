import http from 'node:http';
import type { IncomingMessage } from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import type { LookupFunction, Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import type { SecureContextOptions } from 'node:tls';
import { readConnectHost } from './endpoint-url.js';

export interface PinnedPostOptions {
  url: URL;
  /** The vetted addresses; the connection goes to one of these and nowhere else. */
  addresses: readonly string[];
  headers: Record<string, string>;
  body: Buffer;
  /** Until the TCP connection (and, for https, the TLS handshake) is up. */
  connectTimeoutMs: number;
  /** Until the response headers and the capped body are in. */
  timeoutMs: number;
  /** Response bytes read (and discarded) before the connection is closed. */
  maxResponseBytes: number;
  /** Extra trusted CA certificates (a private CA of internal services); Node's roots otherwise. */
  ca?: SecureContextOptions['ca'];
}

export type ExchangeFailure = 'connect-timeout' | 'timeout' | 'network-error' | 'tls-error' | 'invalid-response';

export type ExchangeResult =
  | { kind: 'response'; status: number; retryAfter: string | null }
  | { kind: 'failed'; reason: ExchangeFailure; code: string | null };

/**
 * One POST over a fresh connection to a vetted address. The URL's host name still names the
 * request (Host header, TLS SNI and certificate check), but name resolution is replaced by the
 * vetted list, so nothing can resolve it again to somewhere else. Redirects are not followed
 * (node:http never does); the response body is read up to a cap and thrown away.
 */
export function postToPinnedAddress(options: PinnedPostOptions): Promise<ExchangeResult> {
  const { url } = options;
  const isHttps = url.protocol === 'https:';
  const requestOptions: https.RequestOptions = {
    protocol: url.protocol,
    hostname: readConnectHost(url),
    port: url.port === '' ? undefined : Number(url.port),
    path: `${url.pathname}${url.search}`,
    method: 'POST',
    headers: { ...options.headers, 'content-length': String(options.body.length) },
    // A fresh connection each time: a pooled socket would be keyed by host name, not by vetted address.
    agent: false,
    lookup: createPinnedLookup(options.addresses),
    ...(isHttps ? { minVersion: 'TLSv1.2' as const, ca: options.ca } : {}),
  };
  let request: http.ClientRequest;
  try {
    request = (isHttps ? https : http).request(requestOptions);
  } catch (error) {
    // Node validates headers and path synchronously; a refusal is an outcome, not a crash.
    return Promise.resolve(classifyRequestError(error as NodeJS.ErrnoException));
  }
  return new Promise((resolve) => {
    let response: ExchangeResult | null = null;
    let isSettled = false;
    const finish = (result: ExchangeResult): void => {
      if (isSettled) return;
      isSettled = true;
      clearTimeout(connectTimer);
      clearTimeout(totalTimer);
      request.destroy();
      resolve(result);
    };
    const connectTimer = setTimeout(() => finish({ kind: 'failed', reason: 'connect-timeout', code: null }), options.connectTimeoutMs);
    // Once the status is in, a slow or endless body only ends the read early; the status stands.
    const totalTimer = setTimeout(() => finish(response ?? { kind: 'failed', reason: 'timeout', code: null }), options.timeoutMs);

    request.once('socket', (socket: Socket) => {
      socket.once(socket instanceof TLSSocket ? 'secureConnect' : 'connect', () => clearTimeout(connectTimer));
    });
    request.on('error', (error: NodeJS.ErrnoException) => finish(response ?? classifyRequestError(error)));
    request.once('response', (incoming: IncomingMessage) => {
      response = { kind: 'response', status: incoming.statusCode ?? 0, retryAfter: readSingleHeader(incoming.headers['retry-after']) };
      const answered = response;
      let received = 0;
      incoming.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received >= options.maxResponseBytes) finish(answered);
      });
      incoming.once('end', () => finish(answered));
      incoming.on('error', () => finish(answered));
    });
    request.end(options.body);
  });
}

/** A `lookup` that answers with the vetted addresses whatever it is asked. */
export function createPinnedLookup(addresses: readonly string[]): LookupFunction {
  const entries = addresses.map((address) => ({ address, family: isIP(address) }));
  return (_hostname, lookupOptions, callback) => {
    const wanted = lookupOptions.family === 4 || lookupOptions.family === 6 ? lookupOptions.family : 0;
    const usable = entries.filter((entry) => wanted === 0 || entry.family === wanted);
    const first = usable[0];
    if (first === undefined) {
      const error: NodeJS.ErrnoException = new Error('no vetted address of the requested family');
      error.code = 'ENOTFOUND';
      callback(error, '', 0);
    } else if (lookupOptions.all === true) {
      callback(null, usable);
    } else {
      callback(null, first.address, first.family);
    }
  };
}

function classifyRequestError(error: NodeJS.ErrnoException): ExchangeResult {
  const code = typeof error.code === 'string' ? error.code : null;
  if (code === null) return { kind: 'failed', reason: 'network-error', code };
  if (code.startsWith('HPE_')) return { kind: 'failed', reason: 'invalid-response', code };
  if (/^ERR_(?:TLS|SSL)_|CERT|^UNABLE_TO_|^SELF_SIGNED|^DEPTH_ZERO/.test(code)) return { kind: 'failed', reason: 'tls-error', code };
  return { kind: 'failed', reason: 'network-error', code };
}

function readSingleHeader(value: string | string[] | undefined): string | null {
  if (value === undefined) return null;
  return Array.isArray(value) ? (value[0] ?? null) : value;
}
