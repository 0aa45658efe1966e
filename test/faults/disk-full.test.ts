import { afterEach, describe, expect, it } from 'vitest';
import { createTestSecrets } from '../support/test-gateway.js';
import { createTimeline, recordFigures, sleep } from './support/figures.js';
import { ALREADY_STORED, createGatewayFleet } from './support/gateway-fleet.js';
import type { GatewayFleet } from './support/gateway-fleet.js';
import { createMetaSender } from './support/meta-sender.js';
import type { MetaSender } from './support/meta-sender.js';
import { startReadinessProbe } from './support/readiness-probe.js';
import type { ReadinessProbe } from './support/readiness-probe.js';
import { tryCreateSmallFilesystem } from './support/small-filesystem.js';
import type { SmallFilesystem } from './support/small-filesystem.js';
import { summariseWebhookFault, verifyStore } from './support/store-verifier.js';

// Fault suite (issue 7), one scenario per file. Needs no database server: the gateway runs on
// SQLite, its data dir on a small filesystem of its own (tmpfs, else a loop-mounted ext4 image,
// else a lowered RLIMIT_FSIZE; the figures say which ran).
//
// Pins: the disk of the SQLite data dir fills up mid-load. What cannot be stored is not
// acknowledged (Meta retries it), nothing acknowledged is lost, the gateway does not crash, and
// once space is freed it stores and acknowledges again without a restart.

const EVENTS_PER_SECOND = 40;
const LOAD_BEFORE_FULL_MS = 2_000;
/** Refusals seen before the disk counts as "full" for the gateway. */
const REFUSALS_WHEN_FULL = 10;
const FULL_MS = 3_000;
const LOAD_AFTER_RECOVERY_MS = 2_000;

describe('disk of the SQLite data dir full mid-load', () => {
  let filesystem: SmallFilesystem | undefined;
  let fleet: GatewayFleet | undefined;
  let probe: ReadinessProbe | undefined;
  afterEach(async () => {
    probe?.stop();
    await fleet?.close();
    filesystem?.destroy();
  });

  it('refuses what it cannot store, loses nothing acknowledged, and recovers without a restart once space is freed', async (context) => {
    const timeline = createTimeline();
    const created = tryCreateSmallFilesystem();
    if (!created.filesystem) return context.skip(`skipped: no way to fill a disk here (no mount rights, no loop device, no prlimit): ${created.why}`);
    filesystem = created.filesystem;
    const secrets = createTestSecrets();
    const dataDir = filesystem.dir;
    fleet = createGatewayFleet({ secrets, databaseUrl: undefined, makeDataDir: () => dataDir });
    const gateway = await fleet.start('a');
    timeline.mark('gatewayReady');
    probe = startReadinessProbe(gateway.url);
    const sender = createMetaSender({ targets: fleet.urls(), appSecret: secrets.appSecret, eventsPerSecond: EVENTS_PER_SECOND, label: 'disk-full' });
    sender.start();
    await fleet.guard(sender.waitForAcknowledged(1, 30_000));
    await fleet.guard(sleep(LOAD_BEFORE_FULL_MS));

    const refusalsBeforeFull = sender.refusalCount();
    const filledAt = timeline.mark('fill');
    const filled = filesystem.fill(gateway.child.pid!);
    const refusedAt = await fleet.guard(waitForRefusals(sender, REFUSALS_WHEN_FULL, 30_000));
    timeline.mark('refusing');
    await fleet.guard(sleep(FULL_MS));
    const freedAt = timeline.mark('free');
    filesystem.free(gateway.child.pid!);
    const refusalsWhileFull = sender.refusalCount() - refusalsBeforeFull;
    const acknowledgedWhileFull = sender.acknowledgedBetween(refusedAt, freedAt).length;
    const readinessWhileFull = probe.counts(refusedAt, freedAt);
    const recoveredAt = await fleet.guard(sender.waitForAcknowledgementAfter(freedAt, 30_000));
    timeline.mark('recovered');
    await fleet.guard(sleep(LOAD_AFTER_RECOVERY_MS));

    timeline.mark('finish');
    const report = await fleet.guard(sender.finish(15_000));
    timeline.mark('drained');
    probe.stop();
    const wasRunning = (await Promise.race([gateway.exited, sleep(0).then(() => 'running')])) === 'running';
    const exit = await fleet.stop('a');
    const verdict = await verifyStore(fleet.database(), secrets, sender.events());

    recordFigures('disk-full', summariseWebhookFault(sender.events(), verdict), {
      method: filesystem.method,
      methodsThatFailed: created.tried,
      ...filled,
      eventsPerSecond: EVENTS_PER_SECOND,
      ...report,
      firstRefusalsAfterFillMs: refusedAt - filledAt,
      refusalsWhileFull,
      acknowledgedWhileFull,
      acknowledgedAsDuplicate: fleet.countLogLines(ALREADY_STORED),
      readinessWhileFull,
      recoveredAfterFreeMs: recoveredAt - freedAt,
      gatewayRunningAfterRecovery: wasRunning,
      gatewayExit: exit,
      ...verdict,
      missing: verdict.missing.length,
      duplicated: verdict.duplicated.length,
      undecryptable: verdict.undecryptable.length,
      timelineMs: timeline.marks(),
      scenarioMs: timeline.elapsedMs(),
    });
    expect(wasRunning, 'the gateway survived the full disk').toBe(true);
    expect(report.refusals['503'] ?? 0, 'what could not be stored was refused with 503 (Meta retries)').toBeGreaterThan(0);
    expect(readinessWhileFull.unready, '/readyz turned unready while commits failed, so a load balancer stops sending').toBeGreaterThan(0);
    expect(report.unacknowledged, 'every event is acknowledged once space is back').toBe(0);
    expect(verdict.missing, 'acknowledged but lost').toEqual([]);
    expect(verdict.duplicated, 'stored more than once').toEqual([]);
    expect(verdict.undecryptable, 'stored but not decryptable to what was sent').toEqual([]);
    expect(verdict.rowsNotFromSender).toBe(0);
    expect(exit, 'a clean shutdown after the ordeal').toBe('0');
  }, 120_000);
});

async function waitForRefusals(sender: MetaSender, count: number, timeoutMs: number): Promise<number> {
  const before = sender.refusalCount();
  const deadline = Date.now() + timeoutMs;
  while (sender.refusalCount() - before < count) {
    if (Date.now() > deadline) throw new Error(`the full disk caused fewer than ${count} refusals within ${timeoutMs} ms: ${JSON.stringify(sender.report())}`);
    await sleep(50);
  }
  return Date.now();
}
