import { createRoundRobin, retryDelayMs } from './round-robin.js';

/**
 * A business service sending messages through `POST /api/v1/messages` at a steady rate, the way
 * the README tells it to: each message has its own Idempotency-Key, and anything but a 202 (a
 * 5xx, a reset connection, a timeout) is retried with the same key and body until it is accepted.
 * Every `replayEvery`-th accepted message is sent once more on purpose, to check that a replay
 * answers the first id and never makes a second message.
 */
export interface ApiSenderOptions {
  targets: readonly string[];
  apiKey: string;
  messagesPerSecond: number;
  /** Customers whose 24-hour window is open; message n goes to recipients[n % length]. */
  recipients: readonly string[];
  label: string;
  replayEvery?: number;
}

export interface AcceptedSend {
  sequence: number;
  key: string;
  text: string;
  id: string;
  attempts: number;
  /** The 202 that accepted it was itself a replay: an earlier attempt had been stored, its answer lost. */
  isAcceptedAsReplay: boolean;
}

export interface ApiSenderReport {
  offered: number;
  /** Distinct sends posted at least once (an offered send is attempted unless the sender gave up first). */
  attempted: number;
  accepted: number;
  unaccepted: number;
  attempts: number;
  retries: number;
  /** Answers other than 202 by status; `network` for resets and refused connections, `timeout`. */
  refusals: Record<string, number>;
  /** Accepted by a replayed answer after a lost one (idempotency at work during the faults). */
  acceptedAsReplay: number;
  /** Deliberate replays sent, and those that answered another id or no replay header. */
  deliberateReplays: number;
  replayMismatches: string[];
  /** 4xx answers (never retried): nothing in this load should be refused. */
  rejected: { sequence: number; status: number; code: string }[];
}

export interface ApiSender {
  start(): void;
  setTargets(targets: readonly string[]): void;
  accepted(): readonly AcceptedSend[];
  /** Stops offering new messages, retries the rest for up to `drainTimeoutMs`, then reports. */
  finish(drainTimeoutMs?: number): Promise<ApiSenderReport>;
  report(): ApiSenderReport;
}

const REQUEST_TIMEOUT_MS = 5_000;
const FIRST_RETRY_MS = 200;
const MAX_RETRY_MS = 2_000;

type Answer = { status: 202; id: string; isReplay: boolean } | { status: string; code: string };

export function createApiSender(options: ApiSenderOptions): ApiSender {
  const replayEvery = options.replayEvery ?? 5;
  const balancer = createRoundRobin(options.targets);
  const accepted: AcceptedSend[] = [];
  const refusals: Record<string, number> = {};
  const rejected: ApiSenderReport['rejected'] = [];
  const replayMismatches: string[] = [];
  const sending = new Set<Promise<void>>();
  const attemptedSequences = new Set<number>();
  let offered = 0;
  let attempts = 0;
  let deliberateReplays = 0;
  let isOffering = false;
  let isGivingUp = false;
  let startedAt = 0;
  let ticker: NodeJS.Timeout | null = null;

  async function post(key: string, body: string): Promise<Answer> {
    const target = balancer.pick();
    attempts += 1;
    try {
      const response = await fetch(`${target}/api/v1/messages`, {
        method: 'POST',
        headers: { authorization: `Bearer ${options.apiKey}`, 'content-type': 'application/json', 'idempotency-key': key },
        body,
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      const answer = (await response.json().catch(() => ({}))) as { id?: string; code?: string };
      if (response.status === 202 && answer.id) return { status: 202, id: answer.id, isReplay: response.headers.get('idempotent-replayed') === 'true' };
      return { status: String(response.status), code: answer.code ?? '' };
    } catch (error) {
      const kind = (error as Error).name === 'TimeoutError' ? 'timeout' : 'network';
      if (kind === 'network') balancer.leaveOut(target);
      return { status: kind, code: '' };
    }
  }

  /** Posts until a 202 (or a 4xx, which is final); null when given up or refused. */
  async function postUntilAccepted(sequence: number, key: string, body: string): Promise<{ id: string; isReplay: boolean; attempts: number } | null> {
    for (let failures = 0; !isGivingUp; failures += 1) {
      attemptedSequences.add(sequence);
      const answer = await post(key, body);
      if (answer.status === 202) return { id: answer.id, isReplay: answer.isReplay, attempts: failures + 1 };
      refusals[answer.status] = (refusals[answer.status] ?? 0) + 1;
      if (/^4\d\d$/.test(answer.status) && answer.status !== '429') {
        rejected.push({ sequence, status: Number(answer.status), code: answer.code });
        return null;
      }
      await new Promise((resolve) => setTimeout(resolve, retryDelayMs(failures, FIRST_RETRY_MS, MAX_RETRY_MS)));
    }
    return null;
  }

  async function send(sequence: number): Promise<void> {
    const key = `fault-${options.label}-${sequence}`;
    const text = `fault ${options.label} order ${sequence} — shipped ✓`;
    const to = options.recipients[sequence % options.recipients.length]!;
    const body = JSON.stringify({ to, type: 'text', text: { body: text } });
    const answer = await postUntilAccepted(sequence, key, body);
    if (!answer) return;
    accepted.push({ sequence, key, text, id: answer.id, attempts: answer.attempts, isAcceptedAsReplay: answer.isReplay });
    if (sequence % replayEvery !== 0) return;
    deliberateReplays += 1;
    const replay = await postUntilAccepted(sequence, key, body);
    if (replay && (replay.id !== answer.id || !replay.isReplay)) replayMismatches.push(`${key}: first ${answer.id}, replay ${replay.id} (replayed header: ${replay.isReplay})`);
  }

  function offer(): void {
    const due = Math.floor(((Date.now() - startedAt) / 1000) * options.messagesPerSecond);
    while (isOffering && offered < due) {
      offered += 1;
      const sent = send(offered);
      sending.add(sent);
      void sent.finally(() => sending.delete(sent));
    }
  }

  function report(): ApiSenderReport {
    return {
      offered,
      attempted: attemptedSequences.size,
      accepted: accepted.length,
      unaccepted: offered - accepted.length,
      attempts,
      retries: attempts - offered - deliberateReplays,
      refusals: { ...refusals },
      acceptedAsReplay: accepted.filter((send) => send.isAcceptedAsReplay).length,
      deliberateReplays,
      replayMismatches: [...replayMismatches],
      rejected: [...rejected],
    };
  }

  return {
    start() {
      isOffering = true;
      startedAt = Date.now();
      ticker = setInterval(offer, 20);
    },
    setTargets: (targets) => balancer.setTargets(targets),
    accepted: () => accepted,
    async finish(drainTimeoutMs = 15_000) {
      isOffering = false;
      if (ticker) clearInterval(ticker);
      const deadline = Date.now() + drainTimeoutMs;
      while (sending.size > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      isGivingUp = true;
      await Promise.all([...sending]);
      return report();
    },
    report,
  };
}
