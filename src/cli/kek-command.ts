/**
 * `rampart keys status | rotate | rewrap | retire <version>`: the key-encryption key's versions and
 * the workflow that moves every wrapped key onto a new one (src/crypto/key-rotation.ts). Runs beside
 * live gateways; each step is recorded in the audit log with counts.
 */
import type { Command } from 'commander';
import { createAuditLog } from '../audit/audit-log.js';
import type { AuditEntryInput } from '../audit/audit-entry.js';
import { systemClock } from '../clock.js';
import { loadConfig } from '../config/load-config.js';
import { createKeyRotation } from '../crypto/key-rotation.js';
import type { KeyRotationStatus, RewrapProgress, RewrapReport } from '../crypto/key-rotation.js';
import { createKmsProvider } from '../crypto/kms-factory.js';
import type { KmsProvider } from '../crypto/kms.js';
import { createDatabase } from '../db/database.js';
import type { Database } from '../db/database.js';
import { migrateToLatest } from '../db/migrate.js';
import { isAppError } from '../errors.js';
import { createLogger, scrubText } from '../logger.js';

export interface KekCommandIo {
  env: NodeJS.ProcessEnv;
  stdout: { write(chunk: string): unknown };
  stderr: { write(chunk: string): unknown };
  setExitCode(code: number): void;
  /** Milliseconds between progress lines (default 1 s). */
  progressIntervalMs?: number;
  /** Passed to the rotation (tests shorten the wait for other gateways to see a new version). */
  settleMs?: number;
}

/** 0 done; 1 the step ran but left work (failed rows) or was refused; 2 configuration or usage. */
export const KEK_EXIT = { ok: 0, incomplete: 1, usage: 2 } as const;

const processIo: KekCommandIo = {
  env: process.env,
  stdout: process.stdout,
  stderr: process.stderr,
  setExitCode: (code) => {
    process.exitCode = code;
  },
};

export function registerKekCommands(keys: Command, io: KekCommandIo = processIo): void {
  keys
    .command('status')
    .description('KEK versions and how many wrapped keys each one holds')
    .option('--json', 'print the status as JSON')
    .action(async (options: { json?: boolean }) => io.setExitCode(await runKeysStatus(options, io)));

  keys
    .command('rotate')
    .description('create a new KEK version and rewrap every key onto it, online, with progress (finish an interrupted run with `keys rewrap`)')
    .action(async () => io.setExitCode(await runKeysRotate(io)));

  keys
    .command('rewrap')
    .description('move every key still wrapped under an older KEK version onto the current one (resumes an interrupted rotation)')
    .action(async () => io.setExitCode(await runKeysRewrap(io)));

  keys
    .command('retire <version>')
    .description('destroy an old KEK version; refused while any key is still wrapped under it')
    .action(async (version: string) => io.setExitCode(await runKeysRetire(version, io)));
}

export async function runKeysStatus(options: { json?: boolean }, io: KekCommandIo): Promise<number> {
  return withRotation(io, async ({ rotation }) => {
    const status = await rotation.status();
    io.stdout.write(options.json ? `${JSON.stringify(status, null, 2)}\n` : describeStatus(status));
    return KEK_EXIT.ok;
  });
}

export async function runKeysRotate(io: KekCommandIo): Promise<number> {
  return withRotation(io, async ({ rotation, recordAudit }) => {
    const report = await rotation.rotate(createProgressPrinter(io));
    io.stdout.write(`created KEK version ${report.toVersion} (was ${report.fromVersion})\n`);
    await recordAudit('kek.rotate', report.toVersion, report);
    return finishRewrap(io, report, `when done, retire the old version with \`rampart keys retire ${report.fromVersion}\``);
  });
}

export async function runKeysRewrap(io: KekCommandIo): Promise<number> {
  return withRotation(io, async ({ rotation, recordAudit }) => {
    const report = await rotation.rewrap(createProgressPrinter(io));
    await recordAudit('kek.rewrap', report.toVersion, report);
    return finishRewrap(io, report, 'older versions with no keys left can be retired (`rampart keys status` lists them)');
  });
}

export async function runKeysRetire(versionText: string, io: KekCommandIo): Promise<number> {
  const version = Number(versionText);
  if (!/^[1-9][0-9]{0,9}$/.test(versionText) || !Number.isSafeInteger(version)) {
    io.stderr.write('rampart: the version must be a whole number from `rampart keys status`, e.g. 1\n');
    return KEK_EXIT.usage;
  }
  return withRotation(io, async ({ rotation, recordAudit, kms }) => {
    try {
      await rotation.retire(version);
    } catch (error) {
      if (!isAppError(error) || error.code !== 'KEY_ROTATION_REFUSED') throw error;
      await recordAudit('kek.retire', version, null, error.message);
      io.stderr.write(`rampart: ${error.message}\n`);
      return KEK_EXIT.incomplete;
    }
    await recordAudit('kek.retire', version, null);
    io.stdout.write(`retired KEK version ${version} of ${kms.kekId}: keys wrapped under it can no longer be unwrapped\n`);
    return KEK_EXIT.ok;
  });
}

function finishRewrap(io: KekCommandIo, report: RewrapReport, nextStep: string): number {
  const moved = report.rewrapped.data_keys + report.rewrapped.key_material;
  io.stdout.write(
    `rewrapped ${moved} key(s) onto version ${report.toVersion} ` +
      `(data keys ${report.rewrapped.data_keys}, other keys ${report.rewrapped.key_material}; ` +
      `${report.skipped} changed meanwhile and were left alone; ${report.passes} pass(es))\n`,
  );
  if (report.remaining === 0 && report.failures.length === 0) {
    io.stdout.write(`every key is on version ${report.toVersion}; ${nextStep}\n`);
    return KEK_EXIT.ok;
  }
  io.stderr.write(`rampart: ${report.remaining} key(s) are still on an older version; ${report.failures.length} could not be rewrapped:\n`);
  for (const failure of report.failures.slice(0, 20)) io.stderr.write(`  ${failure.table} ${failure.key}: ${failure.reason}\n`);
  if (report.failures.length > 20) io.stderr.write(`  … and ${report.failures.length - 20} more\n`);
  io.stderr.write('fix the cause and run `rampart keys rewrap` again; do not retire the old version until it reports none left\n');
  return KEK_EXIT.incomplete;
}

function createProgressPrinter(io: KekCommandIo): (progress: RewrapProgress) => void {
  const interval = io.progressIntervalMs ?? 1_000;
  const startedAt = Date.now();
  let printedAt = 0;
  return ({ rewrapped, total }) => {
    const now = Date.now();
    if (now - printedAt < interval && rewrapped < total) return;
    printedAt = now;
    const rate = rewrapped / Math.max((now - startedAt) / 1_000, 0.001);
    const left = rate > 0 ? Math.ceil(Math.max(total - rewrapped, 0) / rate) : 0;
    io.stderr.write(`rewrapped ${rewrapped} of ${total} keys (${Math.round(rate)}/s, about ${left} s left)\n`);
  };
}

function describeStatus(status: KeyRotationStatus): string {
  const lines = [`KMS ${status.provider}, KEK ${status.kekId}; new keys are wrapped under version ${status.currentVersion}`];
  for (const entry of status.versions) {
    const keys = entry.wrappedKeys.data_keys + entry.wrappedKeys.key_material;
    const created = entry.createdAt ? `, created ${entry.createdAt}` : '';
    lines.push(`  v${entry.version}  ${entry.isCurrent ? 'current' : entry.state}${created}  ${keys} wrapped key(s)`);
  }
  if (!status.canRotate) lines.push(`${status.provider} rotates inside the KMS: there is nothing for Rampart to rewrap`);
  if (status.foreignWrappedKeys > 0) {
    lines.push(`${status.foreignWrappedKeys} key(s) are wrapped by another provider or KEK (a provider migration): rotation does not move them`);
  }
  return `${lines.join('\n')}\n`;
}

interface RotationContext {
  kms: KmsProvider;
  rotation: ReturnType<typeof createKeyRotation>;
  recordAudit(action: string, version: number, report: RewrapReport | null, refusal?: string): Promise<void>;
}

async function withRotation(io: KekCommandIo, work: (context: RotationContext) => Promise<number>): Promise<number> {
  let database: Database | undefined;
  let kms: KmsProvider | undefined;
  try {
    const config = loadConfig({ env: io.env });
    database = createDatabase(config.database);
    await migrateToLatest(database.db);
    kms = await createKmsProvider(config);
    const logger = createLogger('warn', { write: (text: string) => void io.stderr.write(text) });
    const audit = createAuditLog({ db: database.db, dialect: database.dialect, signer: null, clock: systemClock, logger });
    const rotation = createKeyRotation({ db: database.db, kms, clock: systemClock, ...(io.settleMs === undefined ? {} : { settleMs: io.settleMs }) });
    const provider = kms;
    const recordAudit: RotationContext['recordAudit'] = async (action, version, report, refusal) => {
      const entry: AuditEntryInput = {
        actor: { type: 'system', id: 'keys-command', label: 'rampart keys' },
        action,
        resource: { type: 'kek', id: `${provider.provider}:${provider.kekId}:v${version}` },
        outcome: refusal ? 'denied' : report && (report.remaining > 0 || report.failures.length > 0) ? 'failed' : 'success',
        details: report
          ? { dataKeys: report.rewrapped.data_keys, otherKeys: report.rewrapped.key_material, remaining: report.remaining, failures: report.failures.length }
          : refusal ? { reason: 'keys still depend on the version, or it is current' } : {},
      };
      await audit.append(entry);
    };
    try {
      return await work({ kms, rotation, recordAudit });
    } finally {
      await audit.close();
    }
  } catch (error) {
    reportError(io, error);
    return isAppError(error) && error.code === 'CONFIG_INVALID' ? KEK_EXIT.usage : KEK_EXIT.incomplete;
  } finally {
    await kms?.close();
    await database?.close();
  }
}

function reportError(io: KekCommandIo, error: unknown): void {
  if (isAppError(error)) {
    io.stderr.write(`${error.code === 'CONFIG_INVALID' ? '' : 'rampart: '}${error.message}\n`);
    return;
  }
  io.stderr.write(`rampart: ${error instanceof Error ? scrubText(error.message) : 'unexpected error'}\n`);
}
