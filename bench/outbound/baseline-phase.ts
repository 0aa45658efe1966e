import { spawnNode } from '../ingress/child-process.js';
import { startCpuStopwatch } from '../ingress/process-sampler.js';
import type { DirectClientSummary } from './direct-client.js';
import type { PhaseContext } from './gateway-phase.js';
import { checkDelivery, createEmptyReport, summariseCpu, waitForSends } from './phase-measure.js';
import type { PhaseReport } from './phase-measure.js';
import { startRecordingEmulator } from './recording-emulator.js';
import { measureSendRate } from './send-timeline.js';

/** Far above any rate this machine reaches: the baseline measures the emulator, not its limit. */
export const UNLIMITED_EMULATOR_THROUGHPUT = 1_000_000;
const STALL_TIMEOUT_MS = 20_000;

/**
 * The emulator's ceiling: `direct-client.ts` posts the same Graph API bodies the gateway would,
 * with as many in flight as the gateway's sender, straight to the emulator.
 */
export async function measureBaselinePhase(context: PhaseContext): Promise<PhaseReport> {
  const { settings, cleanup, progress } = context;
  const report = createEmptyReport('baseline', { messages: settings.messages, rateLimitPerSecond: null, emulatorThroughputPerSecond: UNLIMITED_EMULATOR_THROUGHPUT });
  try {
    const { emulator, url, recorder } = await startRecordingEmulator({ throughputPerSecond: UNLIMITED_EMULATOR_THROUGHPUT, cleanup });
    progress(`baseline: ${settings.messages} sends straight to the emulator, ${settings.sendConcurrency} in flight`);
    const client = spawnNode({
      script: 'bench/outbound/direct-client.ts',
      isTypeScript: true,
      env: {
        BENCH_GRAPH_URL: url,
        BENCH_ACCESS_TOKEN: emulator.accessToken,
        BENCH_PHONE_NUMBER_ID: emulator.phoneNumberId,
        BENCH_MESSAGES: String(settings.messages),
        BENCH_IN_FLIGHT: String(settings.sendConcurrency),
        BENCH_RECIPIENT_PREFIX: '49151',
      },
    });
    cleanup.defer('stop the baseline client', () => client.stop());
    if ((await waitForSends(client, recorder, 1, STALL_TIMEOUT_MS)) !== 'complete') throw new Error(`no send reached the emulator:\n${client.output()}`);
    const stopwatch = startCpuStopwatch(client.pid);
    const outcome = await waitForSends(client, recorder, settings.messages, STALL_TIMEOUT_MS);
    report.cpu = summariseCpu(stopwatch.stop(), recorder.acceptedAt().length);
    if (outcome === 'stalled') report.notes.push(`stalled after ${recorder.acceptedAt().length} of ${settings.messages} sends`);
    const exit = await client.exited;
    if (exit !== '0') throw new Error(`the baseline client exited with ${exit}:\n${client.output()}`);
    const summary = readSummary(client.output());
    if (summary.errors > 0 || Object.keys(summary.refusedByStatus).length > 0) report.notes.push(`client saw ${summary.errors} errors and refusals ${JSON.stringify(summary.refusedByStatus)}`);
    report.rate = measureSendRate(recorder.acceptedAt().slice(0, settings.messages));
    report.refusedAtEmulator = recorder.refusedByStatus();
    report.delivery = checkDelivery(emulator, '49151', settings.messages);
  } catch (error) {
    report.failure = error instanceof Error ? error.message : String(error);
  } finally {
    for (const failure of await cleanup.runAll()) progress(`baseline: cleanup failed: ${failure}`);
  }
  return report;
}

function readSummary(output: string): DirectClientSummary {
  const line = output.trim().split('\n').at(-1) ?? '';
  try {
    return JSON.parse(line) as DirectClientSummary;
  } catch {
    throw new Error(`the baseline client printed no summary:\n${output}`);
  }
}
