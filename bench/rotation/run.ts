/**
 * KEK rotation under load (issue 7): 100,000 data keys, a gateway taking signed webhooks, and
 * `rampart keys rotate` run as its own process beside it. Reports ingress latency in 5-second windows
 * before and during the rotation, the rotation's own time, and every failed read: the gateway's
 * non-2xx answers and a reader in this process that unwraps random stored keys, as a second gateway
 * would, for the whole rotation. Writes test-results/bench-rotation.json. See bench/README.md.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { systemClock } from '../../src/clock.js';
import { loadConfig } from '../../src/config/load-config.js';
import { createDataKeyCache } from '../../src/crypto/data-key-cache.js';
import { contactKeyOwner, createKeyStore, dataKeyWrapContext } from '../../src/crypto/key-store.js';
import { createLocalKms, parseMasterKey } from '../../src/crypto/local-kms.js';
import { createDatabase } from '../../src/db/database.js';
import type { Database } from '../../src/db/database.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { createPostgresDatabase } from '../../test/support/databases.js';
import { findFreePort, repoRoot, spawnNode, waitUntilReady } from '../ingress/child-process.js';
import { createCleanupStack } from '../ingress/cleanup-stack.js';
import { formatTable } from '../ingress/bench-report.js';
import { prepareGatewayEntry } from '../ingress/gateway-build.js';
import type { GatewayEntry } from '../ingress/gateway-build.js';
import { runLoadPhase } from '../ingress/load-phase.js';
import type { LoadPhaseResult } from '../ingress/load-phase.js';
import { createWebhookBodySource } from '../ingress/webhook-body-source.js';

const resultFile = path.join(repoRoot, 'test-results', 'bench-rotation.json');
const WINDOW_SECONDS = 5;

const settingsSchema = z.object({
  BENCH_ROTATION_KEYS: z.coerce.number().int().positive().max(10_000_000).default(100_000),
  BENCH_CONNECTIONS: z.coerce.number().int().positive().max(10_000).default(20),
  BENCH_IDLE_WINDOWS: z.coerce.number().int().positive().max(100).default(3),
  RAMPART_BENCH_POSTGRES_URL: z.string().startsWith('postgres').optional(),
  RAMPART_TEST_POSTGRES_URL: z.string().startsWith('postgres').optional(),
});

type Settings = z.infer<typeof settingsSchema>;
type Progress = (message: string) => void;

interface WindowFigures {
  eventsPerSecond: number;
  p50: number;
  p99: number;
  non2xx: number;
  /** e.g. { "200": 580, "503": 2 }: a 503 is a refusal Meta retries, not a failed read. */
  statusCounts: Record<string, number>;
  errors: number;
}

interface StoreReport {
  store: 'sqlite' | 'postgres';
  keys: number;
  seedSeconds: number;
  idle: WindowFigures[];
  duringRotation: WindowFigures[];
  rotation: { seconds: number; exitCode: string; keysPerSecond: number; output: string };
  reader: { reads: number; failed: number; firstFailure: string | null };
  after: { onNewVersion: number; onOldVersion: number };
  verdict: { failedReads: number; ingressRefusals: number; idleP99: number; worstP99DuringRotation: number; ratio: number };
}

async function run(): Promise<number> {
  const parsed = settingsSchema.safeParse(process.env);
  if (!parsed.success) throw new Error(`bench settings are invalid: ${parsed.error.issues.map((issue) => issue.path.join('.')).join(', ')}`);
  const settings = parsed.data;
  const progress: Progress = (message) => process.stderr.write(`» ${message}\n`);
  const cleanup = createCleanupStack();
  process.once('SIGINT', () => void cleanup.runAll().finally(() => process.exit(130)));
  try {
    progress('compiling the gateway (tsc) into a temp dir');
    const gateway = await prepareGatewayEntry('compiled', cleanup);
    const postgresUrl = settings.RAMPART_BENCH_POSTGRES_URL ?? settings.RAMPART_TEST_POSTGRES_URL;
    const reports = [await measureStore('sqlite', undefined, gateway, settings, progress)];
    if (postgresUrl) reports.push(await measureStore('postgres', postgresUrl, gateway, settings, progress));
    else progress('postgres skipped: set RAMPART_BENCH_POSTGRES_URL or RAMPART_TEST_POSTGRES_URL');
    mkdirSync(path.dirname(resultFile), { recursive: true });
    writeFileSync(resultFile, `${JSON.stringify({ measuredAt: new Date().toISOString(), settings: { keys: settings.BENCH_ROTATION_KEYS, connections: settings.BENCH_CONNECTIONS, windowSeconds: WINDOW_SECONDS }, reports }, null, 2)}\n`);
    process.stdout.write(`\n${formatReports(reports)}\n\nresults: ${path.relative(repoRoot, resultFile)}\n`);
    return reports.every((report) => report.verdict.failedReads === 0 && report.after.onOldVersion === 0) ? 0 : 1;
  } finally {
    await cleanup.runAll();
  }
}

async function measureStore(store: 'sqlite' | 'postgres', postgresUrl: string | undefined, gateway: GatewayEntry, settings: Settings, progress: Progress): Promise<StoreReport> {
  const local = createCleanupStack();
  try {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'rampart-bench-rotation-'));
    local.defer('remove the data dir', () => rmSync(dataDir, { recursive: true, force: true }));
    let databaseUrl: string | undefined;
    if (postgresUrl) {
      const schema = await createPostgresDatabase(postgresUrl);
      local.defer('drop the schema', () => schema.drop());
      databaseUrl = schema.url;
    }
    const env: Record<string, string> = {
      RAMPART_DATA_DIR: dataDir,
      ...(databaseUrl ? { RAMPART_DATABASE_URL: databaseUrl } : {}),
      WHATSAPP_APP_SECRET: randomBytes(32).toString('hex'),
      WHATSAPP_VERIFY_TOKEN: randomBytes(16).toString('hex'),
      RAMPART_MASTER_KEY: randomBytes(32).toString('base64'),
      RAMPART_HOST: '127.0.0.1',
      RAMPART_LOG_LEVEL: 'warn',
      RAMPART_RATE_LIMIT_PER_MINUTE: '1000000000',
    };
    const config = loadConfig({ env });
    const database = createDatabase(config.database);
    local.defer('close the bench connection', () => database.close());
    await migrateToLatest(database.db);

    progress(`${store}: seeding ${settings.BENCH_ROTATION_KEYS} data keys`);
    const seedStarted = performance.now();
    const ids = await seedDataKeys(database, env, settings.BENCH_ROTATION_KEYS);
    const seedSeconds = (performance.now() - seedStarted) / 1000;

    const port = await findFreePort();
    const child = spawnNode({ ...gateway, args: ['start'], env: { ...env, RAMPART_PORT: String(port) } });
    local.defer('stop the gateway', () => child.stop());
    const url = `http://127.0.0.1:${port}`;
    await waitUntilReady(child, `${url}/readyz`);
    const bodies = createWebhookBodySource({ appSecret: env.WHATSAPP_APP_SECRET as string, customers: 1_000, runId: randomBytes(4).toString('hex') });
    const window = () => runLoadPhase({ url, connections: settings.BENCH_CONNECTIONS, durationSeconds: WINDOW_SECONDS, bodies });

    progress(`${store}: warming up, then ${settings.BENCH_IDLE_WINDOWS} idle windows of ${WINDOW_SECONDS} s`);
    await window();
    const idle: WindowFigures[] = [];
    for (let index = 0; index < settings.BENCH_IDLE_WINDOWS; index += 1) idle.push(toFigures(await window()));

    progress(`${store}: rotating (rampart keys rotate) under load`);
    const reader = startReader(database, env, ids);
    const rotationStarted = performance.now();
    const rotator = spawnNode({ ...gateway, args: ['keys', 'rotate'], env });
    local.defer('stop the rotation', () => rotator.stop());
    const duringRotation: WindowFigures[] = [];
    while (!rotator.hasExited()) duringRotation.push(toFigures(await window()));
    const exitCode = await rotator.exited;
    const rotationSeconds = (performance.now() - rotationStarted) / 1000;
    const readerResult = await reader.stop();
    const after = await countVersions(database);
    progress(`${store}: rotation exited ${exitCode} after ${rotationSeconds.toFixed(1)} s`);

    // The reader's failures are failed reads; the gateway's non-2xx answers are refusals Meta would retry (shown by status).
    const failedReads = readerResult.failed;
    const ingressRefusals = duringRotation.reduce((sum, figures) => sum + figures.non2xx + figures.errors, 0);
    const idleP99 = median(idle.map((figures) => figures.p99));
    const worst = Math.max(...duringRotation.map((figures) => figures.p99));
    return {
      store,
      keys: ids.length,
      seedSeconds,
      idle,
      duringRotation,
      rotation: { seconds: rotationSeconds, exitCode, keysPerSecond: ids.length / rotationSeconds, output: rotator.output().trim().split('\n').slice(-6).join('\n') },
      reader: readerResult,
      after,
      verdict: { failedReads, ingressRefusals, idleP99, worstP99DuringRotation: worst, ratio: idleP99 > 0 ? worst / idleP99 : Number.NaN },
    };
  } finally {
    for (const failure of await local.runAll()) progress(`${store}: cleanup failed: ${failure}`);
  }
}

/** Data keys as the gateway makes them (wrapped by the same keyring), written 5,000 per transaction. */
async function seedDataKeys(database: Database, env: Record<string, string>, count: number): Promise<string[]> {
  const kms = await createLocalKms({ keyringPath: path.join(env.RAMPART_DATA_DIR as string, 'keyring.json'), masterKey: parseMasterKey(env.RAMPART_MASTER_KEY as string) });
  const keys = createKeyStore({ kms, cache: createDataKeyCache({ maxAgeMs: 1, maxUses: 1, maxEntries: 1, clock: systemClock }) });
  const ids: string[] = [];
  try {
    for (let done = 0; done < count; done += 5_000) {
      await database.db.transaction().execute(async (trx) => {
        for (let index = done; index < Math.min(done + 5_000, count); index += 1) {
          const contactId = randomUUID();
          ids.push((await keys.createDataKey(trx, contactKeyOwner(contactId), contactId)).keyInfo.dataKeyId);
        }
      });
    }
  } finally {
    await kms.close();
  }
  return ids;
}

/** Reads random stored keys and unwraps them with its own KMS, as another gateway with a cold cache would. */
function startReader(database: Database, env: Record<string, string>, ids: readonly string[]) {
  let isRunning = true;
  let reads = 0;
  let failed = 0;
  let firstFailure: string | null = null;
  const done = (async () => {
    const kms = await createLocalKms({ keyringPath: path.join(env.RAMPART_DATA_DIR as string, 'keyring.json'), masterKey: parseMasterKey(env.RAMPART_MASTER_KEY as string) });
    try {
      while (isRunning) {
        const id = ids[Math.floor(Math.random() * ids.length)] as string;
        try {
          const row = await database.db.selectFrom('data_keys').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
          (await kms.unwrapKey({ provider: row.kek_provider, kekId: row.kek_id, kekVersion: row.kek_version, ciphertext: row.wrapped_key }, dataKeyWrapContext(row))).fill(0);
        } catch (error) {
          failed += 1;
          firstFailure ??= error instanceof Error ? error.message : String(error);
        }
        reads += 1;
        // Paced (about 1,000 reads/s) so the reader checks without becoming the load.
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
    } finally {
      await kms.close();
    }
  })();
  return {
    async stop() {
      isRunning = false;
      await done;
      return { reads, failed, firstFailure };
    },
  };
}

async function countVersions(database: Database): Promise<{ onNewVersion: number; onOldVersion: number }> {
  const rows = await database.db
    .selectFrom('data_keys')
    .select('kek_version')
    .select((eb) => eb.fn.countAll<string | number>().as('count'))
    .groupBy('kek_version')
    .execute();
  const newest = Math.max(...rows.map((row) => Number(row.kek_version)));
  const count = (match: (version: number) => boolean) => rows.filter((row) => match(Number(row.kek_version))).reduce((sum, row) => sum + Number(row.count), 0);
  return { onNewVersion: count((version) => version === newest), onOldVersion: count((version) => version !== newest) };
}

function toFigures(phase: LoadPhaseResult): WindowFigures {
  return { eventsPerSecond: phase.eventsPerSecond, p50: phase.latencyMs.p50, p99: phase.latencyMs.p99, non2xx: phase.non2xx, statusCounts: phase.statusCounts, errors: phase.errors + phase.timeouts };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

function formatReports(reports: readonly StoreReport[]): string {
  const lines: string[] = [];
  for (const report of reports) {
    lines.push(`KEK rotation of ${report.keys} data keys under ingress load (${report.store}); windows of ${WINDOW_SECONDS} s`);
    const rows = [['window', 'events/s', 'p50 ms', 'p99 ms', 'non-2xx', 'errors', 'statuses']];
    report.idle.forEach((figures, index) => rows.push(row(`idle ${index + 1}`, figures)));
    report.duringRotation.forEach((figures, index) => rows.push(row(`rotating ${index + 1}`, figures)));
    lines.push(...formatTable(rows));
    lines.push(
      `rotation: ${report.rotation.seconds.toFixed(1)} s (${Math.round(report.rotation.keysPerSecond)} keys/s), exit ${report.rotation.exitCode}; ` +
        `after: ${report.after.onNewVersion} on the new version, ${report.after.onOldVersion} on older ones`,
      `reads during rotation: ${report.reader.reads} by the reader, ${report.verdict.failedReads} failed${report.reader.firstFailure ? ` (first: ${report.reader.firstFailure})` : ''}; ` +
        `webhooks refused during rotation (Meta retries these): ${report.verdict.ingressRefusals}`,
      `ingress p99: idle ${report.verdict.idleP99.toFixed(1)} ms, worst window during rotation ${report.verdict.worstP99DuringRotation.toFixed(1)} ms (×${report.verdict.ratio.toFixed(2)})`,
      '',
    );
  }
  return lines.join('\n');
}

function row(label: string, figures: WindowFigures): string[] {
  const statuses = Object.entries(figures.statusCounts).map(([code, count]) => `${code}×${count}`).join(' ');
  return [label, figures.eventsPerSecond.toFixed(0), figures.p50.toFixed(1), figures.p99.toFixed(1), String(figures.non2xx), String(figures.errors), statuses];
}

run().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
