import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Stands between one gateway and the Cloud API emulator and gives Meta a round trip: each
 * request is passed on at once, and the emulator's answer is held for `holdMs` before the gateway
 * gets it. While held, Meta has accepted the message and the gateway does not know yet: the
 * window in which a fault makes the outbox send a message twice (src/outbound/README.md).
 * `freeze` keeps every answer held until `release`, so a fault can be placed inside that window.
 */
export interface SlowGraph {
  /** Base URL for the gateway's WHATSAPP_GRAPH_URL. */
  readonly url: string;
  /** Messages the emulator accepted whose answer is still held (Meta has them, the gateway not yet). */
  heldAcceptances(): number;
  freeze(): void;
  release(): void;
  close(): Promise<void>;
}

export async function startSlowGraph(targetUrl: string, holdMs: number): Promise<SlowGraph> {
  let held = 0;
  let frozen: (() => void)[] | null = null;
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => void passOn(request, Buffer.concat(chunks), response));
  });

  async function passOn(request: http.IncomingMessage, body: Buffer, response: http.ServerResponse): Promise<void> {
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) if (typeof value === 'string' && name !== 'host' && name !== 'content-length') headers[name] = value;
    const hasBody = request.method !== 'GET' && request.method !== 'HEAD';
    const upstream = await fetch(`${targetUrl}${request.url ?? '/'}`, { method: request.method, headers, ...(hasBody ? { body } : {}) }).catch(() => null);
    if (!upstream) return void response.destroy();
    const answer = Buffer.from(await upstream.arrayBuffer());
    const isAcceptance = request.method === 'POST' && /\/messages$/.test(request.url ?? '') && upstream.status === 200;
    if (isAcceptance) held += 1;
    const deliver = () => {
      if (isAcceptance) held -= 1;
      if (response.destroyed) return;
      response.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/json' });
      response.end(answer);
    };
    setTimeout(() => (frozen ? frozen.push(deliver) : deliver()), holdMs);
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    heldAcceptances: () => held,
    freeze() {
      frozen ??= [];
    },
    release() {
      const waiting = frozen ?? [];
      frozen = null;
      for (const deliver of waiting) deliver();
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
