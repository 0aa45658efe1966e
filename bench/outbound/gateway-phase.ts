import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { findFreePort, spawnNode, waitUntilReady } from '../ingress/child-process.js';
import type { ChildHandle } from '../ingress/child-process.js';
import type { CleanupStack } from '../ingress/cleanup-stack.js';
import type { GatewayEntry } from '../ingress/gateway-build.js';
import { sampleRss, startCpuStopwatch } from '../ingress/process-sampler.js';
import type { RssSampler } from '../ingress/process-sampler.js';
import { createBenchStore } from './outbox-store.js';
import type { BenchStore } from './outbox-store.js';
import type { GatewayPhaseName, OutboundBenchSettings } from './outbound-settings.js';
import { checkDelivery, createEmptyReport, summariseCpu, waitForSends } from './phase-measure.js';
import type { PhaseReport } from './phase-measure.js';
import { queueMessages } from './queue-messages.js';
import { startRecordingEmulator } from './recording-emulator.js';
import type { RecipientPrefix } from './send-body.js';
import { measureSendRate } from './send-timeline.js';

export interface GatewayPhaseSpec {
  name: GatewayPhaseName;
  messages: number;
  /** RAMPART_SEND_RATE_PER_SECOND; 0 = no limit. */
  ratePerSecond: number;
  emulatorThroughputPerSecond: number;
  prefix: RecipientPrefix;
  /** PostgreSQL server for a fresh schema; null = SQLite in a fresh data dir. */
  postgresUrl: string | null;
}

export interface PhaseContext {
  settings: OutboundBenchSettings;
  /** How to run `rampart start`; null when only the baseline runs. */
  gateway: GatewayEntry | null;
  /** Everything the phase leaves behind; undone at its end. */
  cleanup: CleanupStack;
  progress(message: string): void;
}

/** The first send waits for the gateway to start (modules, migration check, keys). */
const FIRST_SEND_TIMEOUT_MS = 60_000;
/** No send for this long ends a drain as stalled. */
const STALL_TIMEOUT_MS = 20_000;
/** After the last expected send: outcomes commit, and any repeat would reach the emulator. */
const SETTLE_TIMEOUT_MS = 15_000;
const DUPLICATE_WATCH_MS = 1_000;

/**
 * One Rampart phase: queue `messages` through the API of a gateway without workers, stop it,
 * then start a gateway with workers on the same data and time its drain at the emulator.
 * Queueing first means the drain measures the sender alone, not the API competing with it.
 */
export async function measureGatewayPhase(spec: GatewayPhaseSpec, context: PhaseContext): Promise<PhaseReport> {
  const { cleanup, progress } = context;
  const report = createEmptyReport(spec.name, { messages: spec.messages, rateLimitPerSecond: spec.ratePerSecond, emulatorThroughputPerSecond: spec.emulatorThroughputPerSecond });
  let rss: RssSampler | null = null;
  try {
    const { gateway } = context;
    if (gateway === null) throw new Error(`${spec.name} needs a gateway entry`);
    const { emulator, url: graphUrl, recorder } = await startRecordingEmulator({ throughputPerSecond: spec.emulatorThroughputPerSecond, cleanup });
    const store = await createBenchStore(cleanup, spec.postgresUrl);
    const env = buildGatewayEnv(store, { graphUrl, accessToken: emulator.accessToken, phoneNumberId: emulator.phoneNumberId, spec, settings: context.settings });

    progress(`${spec.name}: queueing ${spec.messages} messages through POST /api/v1/messages (gateway with RAMPART_WORKERS=false)`);
    await queueThroughApi({ spec, context, gateway, store, env }, report);

    const limit = spec.ratePerSecond === 0 ? 'no rate limit' : `RAMPART_SEND_RATE_PER_SECOND=${spec.ratePerSecond}`;
    progress(`${spec.name}: draining the outbox to the emulator (${limit}, ${context.settings.sendConcurrency} sends in flight)`);
    const sender = spawnGateway(gateway, { ...env, RAMPART_PORT: String(await findFreePort()) }, cpuProfileArgs(spec.name, context.settings), cleanup, `${spec.name} sender`);
    rss = sampleRss(sender.pid);
    if ((await waitForSends(sender, recorder, 1, FIRST_SEND_TIMEOUT_MS)) !== 'complete') throw new Error(`no send reached the emulator:\n${sender.output()}`);
    const stopwatch = startCpuStopwatch(sender.pid, spec.postgresUrl === null ? null : 'postgres');
    const drain = await waitForSends(sender, recorder, spec.messages, STALL_TIMEOUT_MS);
    report.cpu = summariseCpu(stopwatch.stop(), Math.min(spec.messages, recorder.acceptedAt().length));
    if (drain === 'exited') throw new Error(`the sending gateway exited during the drain (${await sender.exited}):\n${sender.output()}`);
    if (drain === 'stalled') report.notes.push(`drain stalled: no send for ${STALL_TIMEOUT_MS / 1000} s after ${recorder.acceptedAt().length} of ${spec.messages}`);

    report.outbox = await waitForSettledOutbox(store);
    await new Promise((resolve) => setTimeout(resolve, DUPLICATE_WATCH_MS));
    report.maxRssMb = rss.stop();
    // Graceful: a CPU profile is written on a clean exit only.
    await sender.stop();
    report.rate = measureSendRate(recorder.acceptedAt().slice(0, spec.messages));
    report.refusedAtEmulator = recorder.refusedByStatus();
    report.delivery = checkDelivery(emulator, spec.prefix, spec.messages);
    // Shown, not stored: a gateway's warnings may carry one-off links of its (deleted) data dir.
    const output = sender.output().trim();
    if (output !== '') progress(`${spec.name}: the sending gateway logged (level warn and above):\n${output}`);
  } catch (error) {
    report.failure = error instanceof Error ? error.message : String(error);
  } finally {
    rss?.stop();
    for (const failure of await cleanup.runAll()) progress(`${spec.name}: cleanup failed: ${failure}`);
  }
  return report;
}

interface QueueStep {
  spec: GatewayPhaseSpec;
  context: PhaseContext;
  gateway: GatewayEntry;
  store: BenchStore;
  env: Record<string, string>;
}

/** Fills `report.queue`; throws unless every message was accepted and is pending in the outbox. */
async function queueThroughApi({ spec, context, gateway, store, env }: QueueStep, report: PhaseReport): Promise<void> {
  const port = await findFreePort();
  const api = spawnGateway(gateway, { ...env, RAMPART_PORT: String(port), RAMPART_WORKERS: 'false' }, [], context.cleanup, `${spec.name} API`);
  const gatewayUrl = `http://127.0.0.1:${port}`;
  await waitUntilReady(api, `${gatewayUrl}/readyz`);
  report.queue = await queueMessages({ gatewayUrl, apiKey: store.apiKey, prefix: spec.prefix, messages: spec.messages, connections: context.settings.queueConnections });
  await api.stop();
  const { accepted, errors, refusedByStatus, firstRefusal } = report.queue;
  if (accepted !== spec.messages) {
    throw new Error(`queued ${accepted} of ${spec.messages} (refused ${JSON.stringify(refusedByStatus)}, ${errors} errors)${firstRefusal ? `; first refusal: ${firstRefusal}` : ''}`);
  }
  const queued = await store.count();
  if (queued.pendingJobs !== spec.messages || queued.sentMessages !== 0) throw new Error(`after queueing the outbox holds ${JSON.stringify(queued)}, not ${spec.messages} pending jobs`);
}

function buildGatewayEnv(
  store: BenchStore,
  { graphUrl, accessToken, phoneNumberId, spec, settings }: { graphUrl: string; accessToken: string; phoneNumberId: string; spec: GatewayPhaseSpec; settings: OutboundBenchSettings },
): Record<string, string> {
  return {
    ...store.gatewayEnv,
    RAMPART_HOST: '127.0.0.1',
    // Info logs a line per request; the bench measures the gateway, not the terminal.
    RAMPART_LOG_LEVEL: 'warn',
    // All API calls come from one address (see bench/README.md, ingress).
    RAMPART_RATE_LIMIT_PER_MINUTE: '1000000000',
    WHATSAPP_APP_SECRET: randomBytes(32).toString('hex'),
    WHATSAPP_VERIFY_TOKEN: randomBytes(16).toString('hex'),
    // Both gateways of a phase share it: the keyring in the data dir is sealed under it.
    RAMPART_MASTER_KEY: randomBytes(32).toString('base64'),
    WHATSAPP_ACCESS_TOKEN: accessToken,
    WHATSAPP_PHONE_NUMBER_ID: phoneNumberId,
    WHATSAPP_GRAPH_URL: graphUrl,
    RAMPART_SEND_RATE_PER_SECOND: String(spec.ratePerSecond),
    RAMPART_SEND_CONCURRENCY: String(settings.sendConcurrency),
  };
}

function spawnGateway(gateway: GatewayEntry, env: Record<string, string>, nodeArgs: string[], cleanup: CleanupStack, label: string): ChildHandle {
  const child = spawnNode({ ...gateway, args: ['start'], nodeArgs, env });
  cleanup.defer(`stop the ${label}`, () => child.stop());
  return child;
}

/** Outcomes commit in batches after the sends: wait until no job is pending and no message queued. */
async function waitForSettledOutbox(store: BenchStore): Promise<Awaited<ReturnType<BenchStore['count']>>> {
  const deadline = Date.now() + SETTLE_TIMEOUT_MS;
  let counts = await store.count();
  while ((counts.pendingJobs > 0 || counts.queuedMessages > 0) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    counts = await store.count();
  }
  return counts;
}

function cpuProfileArgs(name: GatewayPhaseName, settings: OutboundBenchSettings): string[] {
  if (settings.cpuProfileDir === null) return [];
  const directory = path.resolve(settings.cpuProfileDir, name);
  mkdirSync(directory, { recursive: true });
  return ['--cpu-prof', `--cpu-prof-dir=${directory}`];
}
