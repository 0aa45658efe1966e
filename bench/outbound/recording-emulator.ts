import { createCloudApiEmulator } from '../../src/sandbox/cloud-api-emulator.js';
import type { CloudApiEmulator } from '../../src/sandbox/cloud-api-emulator.js';
import type { CleanupStack } from '../ingress/cleanup-stack.js';
import { WARM_UP_PREFIX, buildGraphBody } from './send-body.js';

const SEND_ROUTE = '/:version/:objectId/messages';
/** Status webhooks are scheduled this late, so none is built, signed or queued while the bench runs. */
const STATUS_DELAY_MS = 60 * 60 * 1_000;
/**
 * Each recipient gets one message, so the pair limit never applies; a 1 ms refill makes every
 * bucket full again at once. With Meta's 6 s, the emulator's pruning (beyond 10,000 recipients it
 * scans all buckets for full ones) found nothing to prune and rescanned on every send, stalling a
 * fast sender for seconds after its 10,000th recipient (see the outbound section of bench/README.md).
 */
const PAIR_RATE_LIMIT = { burst: 45, refillEveryMs: 1 };
/** Sends the emulator handles before a phase starts, so no phase measures its JIT warming up. */
const WARM_UP_SENDS = 2_000;
const WARM_UP_IN_FLIGHT = 64;

export interface SendRecorder {
  /** `performance.now()` of each send the emulator answered 200, in answer order. */
  acceptedAt(): readonly number[];
  /** Sends the emulator refused, by HTTP status (130429 is a 400, for instance). */
  refusedByStatus(): Record<string, number>;
  /** Resolves once `count` sends were accepted. */
  whenAccepted(count: number): Promise<void>;
  /** Forgets what was recorded (the warm-up); only before anyone waits. */
  clear(): void;
}

export interface RecordingEmulator {
  readonly emulator: CloudApiEmulator;
  /** WHATSAPP_GRAPH_URL for the gateway, and the baseline client's target. */
  readonly url: string;
  readonly recorder: SendRecorder;
}

/**
 * The Cloud API emulator in this process, with a hook that timestamps every answered send. It
 * runs here rather than in a child so the bench can read its records directly; the bench process
 * only waits on timers meanwhile, so its CPU time is the emulator's (reported as such).
 */
export async function startRecordingEmulator(options: { throughputPerSecond: number; cleanup: CleanupStack }): Promise<RecordingEmulator> {
  const emulator = await createCloudApiEmulator({
    throughputPerSecond: options.throughputPerSecond,
    pairRateLimit: PAIR_RATE_LIMIT,
    // No webhook URL and statuses an hour away: status traffic would load the gateway (and the
    // emulator) with work this benchmark does not measure.
    webhookUrl: null,
    statusDelaysMs: { sent: STATUS_DELAY_MS, delivered: STATUS_DELAY_MS, read: null },
  });
  options.cleanup.defer('close the Cloud API emulator', () => emulator.close());
  const recorder = attachSendRecorder(emulator);
  const url = await emulator.listen({ port: 0 });
  await warmUp(emulator, options.throughputPerSecond);
  recorder.clear();
  return { emulator, url, recorder };
}

/**
 * Template sends through `inject` (routing, validation, acceptance; no sockets) to recipients no
 * phase counts. Skipped under a Meta-like limit: the sends would spend the throughput bucket the
 * phase is about to measure against.
 */
async function warmUp(emulator: CloudApiEmulator, throughputPerSecond: number): Promise<void> {
  if (throughputPerSecond < WARM_UP_SENDS * 10) return;
  let next = 0;
  const sendOne = async () => {
    for (let index = next++; index < WARM_UP_SENDS; index = next++) {
      const response = await emulator.app.inject({
        method: 'POST',
        url: `/v23.0/${emulator.phoneNumberId}/messages`,
        headers: { authorization: `Bearer ${emulator.accessToken}`, 'content-type': 'application/json' },
        payload: buildGraphBody(WARM_UP_PREFIX, index),
      });
      if (response.statusCode !== 200) throw new Error(`the emulator refused a warm-up send: ${response.statusCode} ${response.body}`);
    }
  };
  await Promise.all(Array.from({ length: WARM_UP_IN_FLIGHT }, sendOne));
}

function attachSendRecorder(emulator: CloudApiEmulator): SendRecorder {
  const accepted: number[] = [];
  const refused: Record<string, number> = {};
  const waiters: { count: number; resolve: () => void }[] = [];
  // onResponse runs after the answer left: the moment the sender could count the send as done.
  emulator.app.addHook('onResponse', async (request, reply) => {
    if (request.method !== 'POST' || request.routeOptions.url !== SEND_ROUTE) return;
    if (reply.statusCode !== 200) {
      refused[reply.statusCode] = (refused[reply.statusCode] ?? 0) + 1;
      return;
    }
    accepted.push(performance.now());
    for (let index = waiters.length - 1; index >= 0; index -= 1) {
      if (accepted.length >= waiters[index]!.count) waiters.splice(index, 1)[0]!.resolve();
    }
  });
  return {
    acceptedAt: () => accepted,
    refusedByStatus: () => ({ ...refused }),
    whenAccepted: (count) =>
      accepted.length >= count ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ count, resolve })),
    clear() {
      accepted.length = 0;
      for (const status of Object.keys(refused)) delete refused[status];
    },
  };
}
