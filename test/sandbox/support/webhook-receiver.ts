import { createServer } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedWebhook {
  /** The bytes exactly as they arrived. */
  rawBody: Buffer;
  headers: IncomingHttpHeaders;
  json: WebhookJson;
}

/** Enough of the envelope for assertions; tests reach deeper with optional chaining. */
export interface WebhookJson {
  object: string;
  entry: { id: string; time?: number; changes: { field: string; value: Record<string, unknown> }[] }[];
}

export interface StatusJson {
  id: string;
  status: string;
  timestamp: string;
  recipient_id: string;
  conversation?: { id: string; expiration_timestamp?: string; origin: { type: string } };
  pricing?: { billable: boolean; pricing_model: string; category: string; type: string };
  errors?: { code: number; title: string; message: string; error_data: { details: string } }[];
  biz_opaque_callback_data?: string;
}

export interface WebhookReceiver {
  /** The webhook URL to give the emulator. */
  url: string;
  received: ReceivedWebhook[];
  /** Most requests handled at the same moment so far. */
  maxConcurrent(): number;
  /** Decides the HTTP status of the n-th request (0-based); 200 by default. */
  respondWith(decide: (index: number) => number, delayMs?: number): void;
  waitFor(predicate: (received: ReceivedWebhook[]) => boolean, timeoutMs?: number): Promise<void>;
  statuses(): StatusJson[];
  close(): Promise<void>;
}

/** A real HTTP server standing in for the gateway's webhook route; it records the raw bytes. */
export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const received: ReceivedWebhook[] = [];
  let decide: (index: number) => number = () => 200;
  let delayMs = 0;
  let active = 0;
  let peak = 0;
  let requests = 0;
  const server = createServer((request, response) => {
    const index = requests++;
    active += 1;
    peak = Math.max(peak, active);
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const rawBody = Buffer.concat(chunks);
      received.push({ rawBody, headers: request.headers, json: JSON.parse(rawBody.toString('utf8')) as WebhookJson });
      setTimeout(() => {
        active -= 1;
        response.writeHead(decide(index), { 'content-type': 'text/plain' }).end('ok');
      }, delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/webhooks/whatsapp`,
    received,
    maxConcurrent: () => peak,
    respondWith(next, nextDelayMs = 0) {
      decide = next;
      delayMs = nextDelayMs;
    },
    async waitFor(predicate, timeoutMs = 5_000) {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(received)) {
        if (Date.now() > deadline) throw new Error(`receiver: condition not met within ${timeoutMs} ms (${received.length} webhooks received)`);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    },
    statuses: () =>
      received.flatMap((webhook) => webhook.json.entry.flatMap((entry) => entry.changes.flatMap((change) => (change.value.statuses as StatusJson[] | undefined) ?? []))),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
