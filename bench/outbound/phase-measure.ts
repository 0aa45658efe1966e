import type { CloudApiEmulator } from '../../src/sandbox/cloud-api-emulator.js';
import type { ChildHandle } from '../ingress/child-process.js';
import type { CpuSpent } from '../ingress/process-sampler.js';
import type { OutboxCounts } from './outbox-store.js';
import type { PhaseName } from './outbound-settings.js';
import type { QueueResult } from './queue-messages.js';
import { WARM_UP_PREFIX, recipientOf } from './send-body.js';
import type { RecipientPrefix } from './send-body.js';
import type { SendRate } from './send-timeline.js';
import type { SendRecorder } from './recording-emulator.js';

/** What reached the emulator against what was asked for; anything but exact makes the run broken. */
export interface DeliveryCheck {
  expected: number;
  /** Sends the emulator accepted, repeats included. */
  sent: number;
  /** Distinct recipients among them (each message has its own). */
  distinct: number;
  /** Sends beyond the first to a recipient: a message sent twice. */
  duplicates: number;
  /** Expected recipients that got nothing: a message lost. */
  missing: number;
  /** Recipients nobody asked to write to. */
  unexpected: number;
  isExact: boolean;
}

export interface PhaseCpu {
  /** CPU of the sending process (the gateway, or the baseline client) from first to last send; 100 = one core. */
  senderPercent: number;
  senderMsPerSend: number | null;
  /** CPU of the bench process, which is the emulator (the bench only waits meanwhile). */
  emulatorPercent: number;
  /** The local PostgreSQL server's processes (PostgreSQL phases; null otherwise or for a remote server). */
  databasePercent: number | null;
  /** Everything else on the machine: noise; the figures are unreliable when it is high. */
  restOfMachinePercent: number | null;
}

export interface PhaseReport {
  name: PhaseName;
  failure: string | null;
  messages: number;
  /** RAMPART_SEND_RATE_PER_SECOND (0 = no limit); null for the baseline, which has no governor. */
  rateLimitPerSecond: number | null;
  /** The emulator's throughput bucket (Meta's 130429 beyond it). */
  emulatorThroughputPerSecond: number;
  /** Queueing through the API (gateway phases only). */
  queue: QueueResult | null;
  /** Jobs and messages in the database after the drain (gateway phases only). */
  outbox: OutboxCounts | null;
  rate: SendRate | null;
  refusedAtEmulator: Record<string, number>;
  delivery: DeliveryCheck | null;
  cpu: PhaseCpu | null;
  /** Largest resident set of the sending process during the drain. */
  maxRssMb: number | null;
  /** Anything odd that is not a failure by itself (a stall, a client's refusals). */
  notes: string[];
}

export function createEmptyReport(name: PhaseName, fields: Pick<PhaseReport, 'messages' | 'rateLimitPerSecond' | 'emulatorThroughputPerSecond'>): PhaseReport {
  return { name, failure: null, ...fields, queue: null, outbox: null, rate: null, refusedAtEmulator: {}, delivery: null, cpu: null, maxRssMb: null, notes: [] };
}

export type SendWait = 'complete' | 'stalled' | 'exited';

/**
 * Waits until the emulator accepted `count` sends. Gives up when the sender exits or when no send
 * arrived for `stallMs` (a stuck drain must end the phase, not the bench).
 */
export async function waitForSends(sender: ChildHandle, recorder: SendRecorder, count: number, stallMs: number): Promise<SendWait> {
  const reached = recorder.whenAccepted(count).then(() => 'complete' as const);
  const exited = sender.exited.then(() => 'exited' as const);
  let seen = recorder.acceptedAt().length;
  let lastProgressAt = performance.now();
  for (;;) {
    let timer: NodeJS.Timeout | undefined;
    const tick = new Promise<'tick'>((resolve) => (timer = setTimeout(() => resolve('tick'), 250)));
    const outcome = await Promise.race([reached, exited, tick]);
    clearTimeout(timer);
    if (outcome !== 'tick') return outcome;
    const now = recorder.acceptedAt().length;
    if (now !== seen) {
      seen = now;
      lastProgressAt = performance.now();
    } else if (performance.now() - lastProgressAt > stallMs) return 'stalled';
  }
}

/** Every expected recipient exactly once, and no one else (the emulator's warm-up aside). */
export function checkDelivery(emulator: CloudApiEmulator, prefix: RecipientPrefix, expected: number): DeliveryCheck {
  const sentTo = emulator
    .sentMessages()
    .map((message) => message.waId)
    .filter((waId) => !waId.startsWith(WARM_UP_PREFIX));
  const distinctRecipients = new Set(sentTo);
  let missing = 0;
  for (let index = 0; index < expected; index += 1) if (!distinctRecipients.has(recipientOf(prefix, index))) missing += 1;
  const unexpected = distinctRecipients.size - (expected - missing);
  const duplicates = sentTo.length - distinctRecipients.size;
  return {
    expected,
    sent: sentTo.length,
    distinct: distinctRecipients.size,
    duplicates,
    missing,
    unexpected,
    isExact: missing === 0 && duplicates === 0 && unexpected === 0,
  };
}

export function summariseCpu(spent: CpuSpent, sends: number): PhaseCpu | null {
  const { targetSeconds, loadGeneratorSeconds, databaseSeconds, machineSeconds, wallSeconds } = spent;
  if (targetSeconds === null || wallSeconds <= 0) return null;
  const percentOf = (seconds: number) => (100 * seconds) / wallSeconds;
  const accounted = targetSeconds + loadGeneratorSeconds + (databaseSeconds ?? 0);
  return {
    senderPercent: percentOf(targetSeconds),
    senderMsPerSend: sends > 0 ? (1000 * targetSeconds) / sends : null,
    emulatorPercent: percentOf(loadGeneratorSeconds),
    databasePercent: databaseSeconds === null ? null : percentOf(databaseSeconds),
    restOfMachinePercent: machineSeconds === null ? null : percentOf(Math.max(0, machineSeconds - accounted)),
  };
}
