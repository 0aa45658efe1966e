import http from 'node:http';
import https from 'node:https';
import type { Secret } from '../config/secret.js';

/** What the Graph API said to a send. */
export type GraphSendResult =
  | { kind: 'accepted'; wamid: string }
  | { kind: 'error'; httpStatus: number; code: number | null; title: string }
  | { kind: 'network'; reason: string };

export interface GraphMedia {
  url: string;
  mimeType: string;
  sha256: string | null;
  fileSize: number | null;
}

export interface GraphTemplate {
  name: string;
  language: string;
  category: string;
  status: string;
}

export interface GraphClientOptions {
  graphUrl: string;
  apiVersion: string;
  accessToken: Secret;
  timeoutMs?: number;
  /** Sockets kept open to the Graph API (keep-alive). */
  maxSockets?: number;
}

const MAX_RESPONSE_BYTES = 1024 * 1024;

/**
 * A small client for the Graph API calls the sender makes. Keep-alive connections, a hard timeout
 * per call, bounded response bodies. Error results carry Meta's code and title only: details may
 * quote the message, and they are never stored or logged.
 */
export function createGraphClient(options: GraphClientOptions) {
  const base = new URL(options.graphUrl);
  const isHttps = base.protocol === 'https:';
  const agent = isHttps
    ? new https.Agent({ keepAlive: true, maxSockets: options.maxSockets ?? 64, minVersion: 'TLSv1.2' })
    : new http.Agent({ keepAlive: true, maxSockets: options.maxSockets ?? 64 });
  const timeoutMs = options.timeoutMs ?? 15_000;

  async function sendMessage(phoneNumberId: string, body: object): Promise<GraphSendResult> {
    const response = await postJson(`/${options.apiVersion}/${encodeURIComponent(phoneNumberId)}/messages`, body);
    if (response.kind === 'network') return response;
    const parsed = response.body as { messages?: { id?: unknown }[]; error?: { code?: unknown; type?: unknown; message?: unknown } } | null;
    const wamid = parsed?.messages?.[0]?.id;
    if (response.status >= 200 && response.status < 300 && typeof wamid === 'string') return { kind: 'accepted', wamid };
    const code = typeof parsed?.error?.code === 'number' ? parsed.error.code : null;
    const title = typeof parsed?.error?.type === 'string' ? parsed.error.type : `HTTP ${response.status}`;
    return { kind: 'error', httpStatus: response.status, code, title };
  }

  /** Meta's description of a media object: where to download it (for 5 minutes), its type, size and hash. */
  async function lookupMedia(mediaId: string): Promise<{ kind: 'found'; media: GraphMedia } | { kind: 'error'; httpStatus: number; code: number | null } | { kind: 'network'; reason: string }> {
    const response = await request('GET', `/${options.apiVersion}/${encodeURIComponent(mediaId)}`, null);
    if (response.kind === 'network') return response;
    const body = response.body as Record<string, unknown> | null;
    if (response.status === 200 && body && typeof body.url === 'string' && typeof body.mime_type === 'string') {
      return {
        kind: 'found',
        media: { url: body.url, mimeType: body.mime_type, sha256: typeof body.sha256 === 'string' ? body.sha256 : null, fileSize: typeof body.file_size === 'number' ? body.file_size : null },
      };
    }
    const error = (body as { error?: { code?: unknown } } | null)?.error;
    return { kind: 'error', httpStatus: response.status, code: typeof error?.code === 'number' ? error.code : null };
  }

  /**
   * Downloads media from a URL the Graph API handed out, with the bearer token, never following a
   * redirect, and stopping as soon as the body exceeds `maxBytes`.
   */
  function downloadMedia(url: URL, maxBytes: number): Promise<{ kind: 'downloaded'; bytes: Buffer } | { kind: 'refused'; httpStatus: number } | { kind: 'too-large' } | { kind: 'network'; reason: string }> {
    const client = url.protocol === 'https:' ? https : http;
    return new Promise((resolve) => {
      const outgoing = client.request(url, { method: 'GET', headers: { authorization: `Bearer ${options.accessToken.reveal()}` }, timeout: timeoutMs }, (response) => {
        const status = response.statusCode ?? 0;
        if (status !== 200) {
          response.resume();
          resolve({ kind: 'refused', httpStatus: status });
          return;
        }
        const declared = Number(response.headers['content-length']);
        if (Number.isFinite(declared) && declared > maxBytes) {
          response.destroy();
          resolve({ kind: 'too-large' });
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > maxBytes) {
            response.destroy();
            resolve({ kind: 'too-large' });
          } else chunks.push(chunk);
        });
        response.on('error', (error) => resolve({ kind: 'network', reason: describeNetworkError(error) }));
        response.on('end', () => resolve({ kind: 'downloaded', bytes: Buffer.concat(chunks) }));
      });
      outgoing.on('timeout', () => outgoing.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
      outgoing.on('error', (error) => resolve({ kind: 'network', reason: describeNetworkError(error) }));
      outgoing.end();
    });
  }

  /** Uploads a file for later sends (Meta keeps it 30 days); returns Meta's media id. */
  async function uploadMedia(phoneNumberId: string, file: { bytes: Buffer; mimeType: string; filename: string }): Promise<{ kind: 'uploaded'; id: string } | { kind: 'error'; httpStatus: number; code: number | null } | { kind: 'network'; reason: string }> {
    const form = new FormData();
    form.set('messaging_product', 'whatsapp');
    form.set('type', file.mimeType);
    form.set('file', new Blob([file.bytes], { type: file.mimeType }), file.filename);
    const url = new URL(`${options.apiVersion}/${encodeURIComponent(phoneNumberId)}/media`, base.href.endsWith('/') ? base.href : `${base.href}/`);
    try {
      const response = await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${options.accessToken.reveal()}` }, body: form, redirect: 'error', signal: AbortSignal.timeout(timeoutMs * 4) });
      const body = (await response.json().catch(() => null)) as { id?: unknown; error?: { code?: unknown } } | null;
      if (response.ok && typeof body?.id === 'string') return { kind: 'uploaded', id: body.id };
      return { kind: 'error', httpStatus: response.status, code: typeof body?.error?.code === 'number' ? body.error.code : null };
    } catch (error) {
      return { kind: 'network', reason: describeNetworkError(error as Error) };
    }
  }

  /** Approved and other templates of the business account, with their categories (one page of up to 1,000). */
  async function listTemplates(wabaId: string): Promise<GraphTemplate[] | null> {
    const response = await request('GET', `/${options.apiVersion}/${encodeURIComponent(wabaId)}/message_templates?fields=name,language,category,status&limit=1000`, null);
    if (response.kind === 'network' || response.status !== 200) return null;
    const data = (response.body as { data?: unknown } | null)?.data;
    if (!Array.isArray(data)) return null;
    return data.flatMap((item: Record<string, unknown>) =>
      typeof item.name === 'string' && typeof item.language === 'string'
        ? [{ name: item.name, language: item.language, category: String(item.category ?? ''), status: String(item.status ?? '') }]
        : [],
    );
  }

  function postJson(pathName: string, body: object) {
    return request('POST', pathName, body);
  }

  function request(method: 'GET' | 'POST', pathName: string, body: object | null): Promise<{ kind: 'response'; status: number; body: unknown } | { kind: 'network'; reason: string }> {
    const payload = body === null ? null : Buffer.from(JSON.stringify(body), 'utf8');
    const url = new URL(pathName.replace(/^\//, ''), base.href.endsWith('/') ? base.href : `${base.href}/`);
    return new Promise((resolve) => {
      const outgoing = (isHttps ? https : http).request(
        url,
        {
          method,
          agent,
          headers: {
            authorization: `Bearer ${options.accessToken.reveal()}`,
            ...(payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {}),
          },
          timeout: timeoutMs,
        },
        (response) => {
          const chunks: Buffer[] = [];
          let size = 0;
          response.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > MAX_RESPONSE_BYTES) response.destroy(new Error('response too large'));
            else chunks.push(chunk);
          });
          response.on('error', (error) => resolve({ kind: 'network', reason: describeNetworkError(error) }));
          response.on('end', () => {
            let parsed: unknown = null;
            try {
              parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
            } catch {
              // Not JSON (a proxy's error page): the status decides.
            }
            resolve({ kind: 'response', status: response.statusCode ?? 0, body: parsed });
          });
        },
      );
      outgoing.on('timeout', () => outgoing.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
      outgoing.on('error', (error) => resolve({ kind: 'network', reason: describeNetworkError(error) }));
      outgoing.end(payload ?? undefined);
    });
  }

  return { sendMessage, listTemplates, lookupMedia, downloadMedia, uploadMedia, graphHost: base.host, close: () => agent.destroy() };
}

export type GraphClient = ReturnType<typeof createGraphClient>;

function describeNetworkError(error: Error): string {
  const code = (error as { code?: unknown }).code ?? (error as { cause?: { code?: unknown } }).cause?.code;
  if (typeof code === 'string') return code;
  return error.name === 'TimeoutError' ? 'ETIMEDOUT' : 'network error';
}
