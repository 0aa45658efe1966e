import type { Command } from 'commander';
import { verifyAuditLog } from '../audit/audit-verifier.js';
import type { AuditVerdict } from '../audit/audit-verifier.js';
import { streamAuditExport } from '../audit/audit-export.js';
import { CheckpointRefusedError, signCheckpointIfGrown } from '../audit/audit-checkpointer.js';
import { readLatestCheckpoint } from '../audit/audit-repository.js';
import { loadAuditSigner } from '../audit/audit-signer.js';
import { parseNoteVerifierKey } from '../audit/signed-note.js';
import { systemClock } from '../clock.js';
import { loadConfig, loadDatabaseConfig } from '../config/load-config.js';
import { createDataKeyCache } from '../crypto/data-key-cache.js';
import { createKeyStore } from '../crypto/key-store.js';
import { createKmsProvider } from '../crypto/kms-factory.js';
import { createDatabase } from '../db/database.js';
import type { Database, Db } from '../db/database.js';
import { migrateToLatest } from '../db/migrate.js';
import { isAppError } from '../errors.js';
import { createLogger, scrubText } from '../logger.js';
import type { Logger } from '../logger.js';

/** Where the audit commands read their settings and write their output; tests pass their own. */
export interface AuditCommandIo {
  env: NodeJS.ProcessEnv;
  stdout: { write(chunk: string): boolean; once(event: 'drain', listener: () => void): unknown };
  stderr: { write(chunk: string): unknown };
  setExitCode(code: number): void;
  /** Ends the process for a usage error commander found (code 2) or after --help (code 0). */
  exit(code: number): never;
}

/** Exit codes: 0 intact / done, 1 the log is not intact (or refused to sign), 2 usage, configuration or database errors. */
export const AUDIT_EXIT = { ok: 0, notIntact: 1, usage: 2 } as const;

const processIo: AuditCommandIo = {
  env: process.env,
  stdout: process.stdout,
  stderr: process.stderr,
  setExitCode: (code) => {
    process.exitCode = code;
  },
  exit: (code) => process.exit(code),
};

/** `rampart audit verify | export | checkpoint`, on the deployment named by the environment `rampart start` reads. */
export function registerAuditCommand(program: Command, io: AuditCommandIo = processIo): void {
  const audit = program
    .command('audit')
    .description('verify, export and checkpoint the tamper-evident audit log')
    .configureOutput({ writeOut: (text) => io.stdout.write(text), writeErr: (text) => io.stderr.write(text) })
    // Subcommands inherit this: a usage error exits 2, so 1 always means "not intact".
    .exitOverride((error) => io.exit(error.exitCode === 0 ? 0 : AUDIT_EXIT.usage));

  audit
    .command('verify')
    .description('check every entry, the stored tree and every signed checkpoint; exit 0 when intact, 1 naming the first bad entry')
    .option('--verifier-key <vkey>', 'the checkpoint verifier key to trust (pin it: a database writer could replace the stored one)')
    .action(async (options: { verifierKey?: string }) => io.setExitCode(await runAuditVerify(options, io)));

  audit
    .command('export')
    .description('stream the log as JSON lines for a SIEM, ending with the latest signed checkpoint')
    .requiredOption('--format <format>', 'output format: jsonl')
    .option('--since <seq>', 'first sequence number to export', '0')
    .action(async (options: { format: string; since: string }) => io.setExitCode(await runAuditExport(options, io)));

  audit
    .command('checkpoint')
    .description('sign a checkpoint if the log grew, and print the latest one with the verifier key, for an outside witness')
    .option('--sandbox', 'the deployment runs in sandbox mode (secrets generated into the data dir)')
    .action(async (options: { sandbox?: boolean }) => io.setExitCode(await runAuditCheckpoint(options, io)));
}

export async function runAuditVerify(options: { verifierKey?: string }, io: AuditCommandIo): Promise<number> {
  if (options.verifierKey !== undefined) {
    try {
      parseNoteVerifierKey(options.verifierKey);
    } catch (error) {
      io.stderr.write(`rampart: --verifier-key is not a verifier key (${(error as Error).message})\n`);
      return AUDIT_EXIT.usage;
    }
  }
  return withDatabase(io, () => createDatabase(loadDatabaseConfig({ env: io.env })), async (db) => {
    const verdict = await verifyAuditLog(db, options.verifierKey === undefined ? {} : { verifierKey: options.verifierKey });
    io.stdout.write(describeVerdict(verdict));
    return verdict.isIntact ? AUDIT_EXIT.ok : AUDIT_EXIT.notIntact;
  });
}

export async function runAuditExport(options: { format: string; since?: string }, io: AuditCommandIo): Promise<number> {
  if (options.format !== 'jsonl') {
    io.stderr.write('rampart: --format must be jsonl\n');
    return AUDIT_EXIT.usage;
  }
  const sinceText = options.since ?? '0';
  const since = Number(sinceText);
  if (!/^\d+$/.test(sinceText) || !Number.isSafeInteger(since)) {
    io.stderr.write('rampart: --since must be a sequence number (0 or more)\n');
    return AUDIT_EXIT.usage;
  }
  return withDatabase(io, () => createDatabase(loadDatabaseConfig({ env: io.env })), async (db) => {
    for await (const line of streamAuditExport(db, { since })) {
      // Respect backpressure: a slow pipe (a SIEM forwarder) must not make us buffer the whole log.
      if (!io.stdout.write(`${line}\n`)) await new Promise<void>((resolve) => io.stdout.once('drain', resolve));
    }
    return AUDIT_EXIT.ok;
  });
}

export async function runAuditCheckpoint(options: { sandbox?: boolean }, io: AuditCommandIo): Promise<number> {
  let config: ReturnType<typeof loadConfig> | undefined;
  const open = (): Database => {
    config = loadConfig({ env: io.env, overrides: options.sandbox ? { RAMPART_SANDBOX: 'true' } : {} });
    return createDatabase(config.database);
  };
  return withDatabase(io, open, async (db) => {
    const settings = config as ReturnType<typeof loadConfig>;
    const kms = await createKmsProvider(settings);
    try {
      const cache = createDataKeyCache({ ...settings.dataKeyCache, maxEntries: 16, clock: systemClock });
      const signingKey = await createKeyStore({ kms, cache }).loadAuditSigningKey(db);
      const signer = await loadAuditSigner({ db, signingKey, logger: stderrLogger(io) });
      try {
        await signCheckpointIfGrown({ db, signer, clock: systemClock });
      } catch (error) {
        if (!(error instanceof CheckpointRefusedError)) throw error;
        reportError(io, error);
        return AUDIT_EXIT.notIntact;
      }
      const latest = await readLatestCheckpoint(db);
      io.stdout.write(`verifier key: ${signer.verifierKey}\n`);
      if (!latest) {
        io.stdout.write('no checkpoint yet: the log is empty\n');
        return AUDIT_EXIT.ok;
      }
      io.stdout.write(`latest checkpoint: ${latest.treeSize} entries, signed ${new Date(latest.createdAt).toISOString()}\n\n${latest.note}`);
      return AUDIT_EXIT.ok;
    } finally {
      await kms.close();
    }
  });
}

/**
 * Opens the database, brings its schema up to date, runs the work and closes it. Configuration,
 * connection and KMS problems exit 2: the log could not be judged, which is not a verdict on it.
 */
async function withDatabase(io: AuditCommandIo, open: () => Database, work: (db: Db) => Promise<number>): Promise<number> {
  let database: Database;
  try {
    database = open();
    await migrateToLatest(database.db);
  } catch (error) {
    reportError(io, error);
    return AUDIT_EXIT.usage;
  }
  try {
    return await work(database.db);
  } catch (error) {
    reportError(io, error);
    return AUDIT_EXIT.usage;
  } finally {
    await database.close();
  }
}

function describeVerdict(verdict: AuditVerdict): string {
  const lines: string[] = [];
  const checked = `${plural(verdict.entriesChecked, 'entry', 'entries')} and ${plural(verdict.checkpointsChecked, 'checkpoint', 'checkpoints')} checked`;
  if (verdict.isIntact) {
    lines.push(`audit log intact: ${checked}`);
    const latest = verdict.latestCheckpoint;
    lines.push(
      latest
        ? `latest checkpoint: ${latest.treeSize} entries, root ${latest.rootHash.toString('base64')}, signed ${new Date(latest.createdAt).toISOString()}`
        : 'no signed checkpoint yet: the entries are consistent, but no signature anchors them',
    );
  } else {
    const where = verdict.sequence === null ? (verdict.checkpointSize === null ? '' : ` at checkpoint ${verdict.checkpointSize}`) : `: first bad entry ${verdict.sequence}`;
    lines.push(`audit log NOT intact${where} (${verdict.reason}): ${verdict.detail}`);
    lines.push(`${checked} before the problem`);
  }
  const key = verdict.trustedKey;
  if (!key) lines.push('trusted verifier key: none (no key given or stored)');
  else if (key.source === 'given') lines.push(`trusted verifier key (given with --verifier-key): ${key.verifierKey}`);
  else lines.push(`trusted verifier key (read from the database; pin it with --verifier-key so a database writer cannot substitute one): ${key.verifierKey}`);
  return `${lines.join('\n')}\n`;
}

function plural(count: number, one: string, many: string): string {
  return `${count} ${count === 1 ? one : many}`;
}

function reportError(io: AuditCommandIo, error: unknown): void {
  if (isAppError(error)) {
    io.stderr.write(`${error.code === 'CONFIG_INVALID' ? '' : 'rampart: '}${error.message}\n`);
    return;
  }
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? scrubText(error.message) : 'unexpected error';
  io.stderr.write(`rampart: ${message}${typeof code === 'string' ? ` (${code})` : ''}\n`);
}

function stderrLogger(io: AuditCommandIo): Logger {
  return createLogger('warn', { write: (text: string) => void io.stderr.write(text) });
}
