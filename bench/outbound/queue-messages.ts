import { buildApiBody } from './send-body.js';
import type { RecipientPrefix } from './send-body.js';

export interface QueueResult {
  /** 202 answers: each one a message and its job durably stored. */
  accepted: number;
  refusedByStatus: Record<string, number>;
  /** Requests that got no answer (connection refused, reset, timeout). */
  errors: number;
  /** The first refusal's body, to say why without printing thousands. */
  firstRefusal: string | null;
  seconds: number;
}

const REQUEST_TIMEOUT_MS = 30_000;

/**
 * Queues `messages` template sends through the real `POST /api/v1/messages`, `connections` at a
 * time. Not measured for the benchmark's targets (the gateway runs without workers meanwhile),
 * but reported: it is the API's accept rate with one transaction per request.
 */
export async function queueMessages(options: {
  gatewayUrl: string;
  apiKey: string;
  prefix: RecipientPrefix;
  messages: number;
  connections: number;
}): Promise<QueueResult> {
  const result: QueueResult = { accepted: 0, refusedByStatus: {}, errors: 0, firstRefusal: null, seconds: 0 };
  const startedAt = performance.now();
  let next = 0;
  const queueOne = async (index: number) => {
    try {
      const response = await fetch(`${options.gatewayUrl}/api/v1/messages`, {
        method: 'POST',
        headers: { authorization: `Bearer ${options.apiKey}`, 'content-type': 'application/json' },
        body: buildApiBody(options.prefix, index),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      const body = await response.text();
      if (response.status === 202) {
        result.accepted += 1;
        return;
      }
      result.refusedByStatus[response.status] = (result.refusedByStatus[response.status] ?? 0) + 1;
      result.firstRefusal ??= `${response.status} ${body.slice(0, 500)}`;
    } catch {
      result.errors += 1;
    }
  };
  const client = async () => {
    for (let index = next++; index < options.messages; index = next++) await queueOne(index);
  };
  await Promise.all(Array.from({ length: Math.min(options.connections, options.messages) }, client));
  result.seconds = (performance.now() - startedAt) / 1000;
  return result;
}
