/**
 * The baseline: a plain keep-alive HTTP client that posts the gateway's Graph API send bodies
 * straight to the emulator, `BENCH_IN_FLIGHT` at a time, and prints a JSON summary on its last
 * line. Run as its own process (like the gateway) by bench/outbound/run.ts; no storage, no
 * crypto, no governor: what is left is the emulator's ceiling on this machine.
 */
import http from 'node:http';
import { z } from 'zod';
import { buildGraphBody } from './send-body.js';

const options = z
  .object({
    BENCH_GRAPH_URL: z.url(),
    BENCH_ACCESS_TOKEN: z.string().min(1),
    BENCH_PHONE_NUMBER_ID: z.string().regex(/^\d+$/),
    BENCH_MESSAGES: z.coerce.number().int().positive(),
    BENCH_IN_FLIGHT: z.coerce.number().int().positive(),
    BENCH_RECIPIENT_PREFIX: z.enum(['49151', '49152', '49157']),
  })
  .parse(process.env);

export interface DirectClientSummary {
  accepted: number;
  refusedByStatus: Record<string, number>;
  errors: number;
}

// The gateway's Graph client keeps as many sockets as it has sends in flight; so does this one.
const agent = new http.Agent({ keepAlive: true, maxSockets: options.BENCH_IN_FLIGHT });
const url = new URL(`v23.0/${options.BENCH_PHONE_NUMBER_ID}/messages`, `${options.BENCH_GRAPH_URL}/`);
const authorization = `Bearer ${options.BENCH_ACCESS_TOKEN}`;

/** 'accepted', 'error' (no answer), or the HTTP status of a refusal (a 200 without a wamid is not accepted). */
function postOne(body: Buffer): Promise<string> {
  return new Promise((resolve) => {
    const request = http.request(
      url,
      { method: 'POST', agent, headers: { authorization, 'content-type': 'application/json', 'content-length': body.length } },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', () => resolve('error'));
        response.on('end', () => {
          // A client reads the wamid out of the answer; so does the baseline.
          const isAccepted = response.statusCode === 200 && hasWamid(Buffer.concat(chunks).toString('utf8'));
          resolve(isAccepted ? 'accepted' : String(response.statusCode ?? 0));
        });
      },
    );
    request.on('error', () => resolve('error'));
    request.end(body);
  });
}

function hasWamid(text: string): boolean {
  try {
    return typeof (JSON.parse(text) as { messages?: { id?: unknown }[] }).messages?.[0]?.id === 'string';
  } catch {
    return false;
  }
}

async function run(): Promise<DirectClientSummary> {
  const summary: DirectClientSummary = { accepted: 0, refusedByStatus: {}, errors: 0 };
  let next = 0;
  const worker = async () => {
    for (let index = next++; index < options.BENCH_MESSAGES; index = next++) {
      const outcome = await postOne(Buffer.from(buildGraphBody(options.BENCH_RECIPIENT_PREFIX, index), 'utf8'));
      if (outcome === 'accepted') summary.accepted += 1;
      else if (outcome === 'error') summary.errors += 1;
      else summary.refusedByStatus[outcome] = (summary.refusedByStatus[outcome] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.BENCH_IN_FLIGHT, options.BENCH_MESSAGES) }, worker));
  agent.destroy();
  return summary;
}

run().then(
  (summary) => process.stdout.write(`${JSON.stringify(summary)}\n`),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
