import type { Command } from 'commander';
import { verifyAuditLog } from '../audit/audit-verifier.js';
import type { AuditVerdict } from '../audit/audit-verifier.js';
import { streamAuditExport } from '../audit/audit-export.js';
import { CheckpointRefusedError, signCheckpointIfGrown } from '../audit/audit-checkpointer.js';
import { rotateAuditSigningKey } from '../audit/audit-key-rotation.js';
import type { RotatedAuditKey } from '../audit/audit-key-rotation.js';
import { readLatestCheckpoint } from '../audit/audit-repository.js';
import { loadAuditSigner } from '../audit/audit-signer.js';
import type { AuditSigner } from '../audit/audit-signer.js';
import { listSigningKeys } from '../audit/audit-signing-keys.js';
import { parseNoteVerifierKey } from '../audit/signed-note.js';
import { systemClock } from '../clock.js';
import { loadConfig, loadDatabaseConfig } from '../config/load-config.js';
import { createKmsProvider } from '../crypto/kms-factory.js';
import type { KmsProvider } from '../crypto/kms.js';
import { createDatabase } from '../db/database.js';
import type { Database } from '../db/database.js';
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

/** Exit codes: 0 intact / done, 1 the log is not intact (or refused to sign), 2 usage, configuration, database or KMS errors. */
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

/** `rampart audit verify | export | checkpoint | rotate-key`, on the deployment named by the environment `rampart start` reads. */
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
    .option(
      '--verifier-key <vkey>',
      'a checkpoint verifier key to trust; repeat it for every key version whose checkpoints should verify (pin them: a database writer could replace the stored ones)',
      (value: string, previous: string[]) => [...previous, value],
      [] as string[],
    )
    .action(async (options: { verifierKey: string[] }) => io.setExitCode(await runAuditVerify({ verifierKeys: options.verifierKey }, io)));

  audit
    .command('export')
    .description('stream the log as JSON lines for a SIEM, ending with the latest signed checkpoint')
    .requiredOption('--format <format>', 'output format: jsonl')
    .option('--since <seq>', 'first sequence number to export', '0')
    .action(async (options: { format: string; since: string }) => io.setExitCode(await runAuditExport(options, io)));

  audit
    .command('checkpoint')
    .description('sign a checkpoint if the log grew, and print the latest one with the verifier keys, for an outside witness')
    .option('--sandbox', 'the deployment runs in sandbox mode (secrets generated into the data dir)')
    .action(async (options: { sandbox?: boolean }) => io.setExitCode(await runAuditCheckpoint(options, io)));

  audit
    .command('rotate-key')
    .description('retire the checkpoint signing key, sign a checkpoint with a new one now, and print its verifier key to pin; gateways switch at their next checkpoint')
    .option('--sandbox', 'the deployment runs in sandbox mode (secrets generated into the data dir)')
    .action(async (options: { sandbox?: boolean }) => io.setExitCode(await runAuditRotateKey(options, io)));
}

export async function runAuditVerify(options: { verifierKeys?: readonly string[] }, io: AuditCommandIo): Promise<number> {
  const verifierKeys = options.verifierKeys ?? [];
  for (const key of verifierKeys) {
    try {
      parseNoteVerifierKey(key);
    } catch (error) {
      io.stderr.write(`rampart: --verifier-key is not a verifier key (${(error as Error).message})\n`);
      return AUDIT_EXIT.usage;
    }
  }
  return withDatabase(io, () => createDatabase(loadDatabaseConfig({ env: io.env })), async ({ db }) => {
    const verdict = await verifyAuditLog(db, verifierKeys.length === 0 ? {} : { verifierKeys });
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
  return withDatabase(io, () => createDatabase(loadDatabaseConfig({ env: io.env })), async ({ db }) => {
    for await (const line of streamAuditExport(db, { since })) {
      // Respect backpressure: a slow pipe (a SIEM forwarder) must not make us buffer the whole log.
      if (!io.stdout.write(`${line}\n`)) await new Promise<void>((resolve) => io.stdout.once('drain', resolve));
    }
    return AUDIT_EXIT.ok;
  });
}

export async function runAuditCheckpoint(options: { sandbox?: boolean }, io: AuditCommandIo): Promise<number> {
  return withSigner(io, options, async ({ database, signer }) => {
    const { db, dialect } = database;
    try {
      await signCheckpointIfGrown({ db, dialect, signer, clock: systemClock });
    } catch (error) {
      if (!(error instanceof CheckpointRefusedError)) throw error;
      reportError(io, error);
      return AUDIT_EXIT.notIntact;
    }
    const latest = await readLatestCheckpoint(db);
    io.stdout.write(`verifier key: ${signer.current().signer.verifierKey}\n`);
    io.stdout.write(await describeRetiredKeys(database, signer));
    if (!latest) {
      io.stdout.write('no checkpoint yet: the log is empty\n');
      return AUDIT_EXIT.ok;
    }
    io.stdout.write(`latest checkpoint: ${latest.treeSize} entries, signed ${new Date(latest.createdAt).toISOString()} by key version ${latest.signingKeyVersion ?? 'unknown'}\n\n${latest.note}`);
    return AUDIT_EXIT.ok;
  });
}

/**
 * Retires the signing key and signs a checkpoint with a new one at once. Exit 1 when the stored
 * tree does not extend the latest checkpoint (nothing is rotated); 2 when another rotation won.
 */
export async function runAuditRotateKey(options: { sandbox?: boolean }, io: AuditCommandIo): Promise<number> {
  return withSigner(io, options, async ({ database, kms, signer }) => {
    let rotated: RotatedAuditKey;
    try {
      rotated = await rotateAuditSigningKey({ db: database.db, dialect: database.dialect, kms, signer, clock: systemClock });
    } catch (error) {
      if (!(error instanceof CheckpointRefusedError)) throw error;
      reportError(io, error);
      return AUDIT_EXIT.notIntact;
    }
    const { retired, current, checkpoint } = rotated;
    io.stdout.write(
      [
        `audit signing key rotated: version ${retired.version} is retired, version ${current.version} signs from now on`,
        `new verifier key: ${current.verifierKey}`,
        `retired verifier key (version ${retired.version}, checkpoints below ${checkpoint.treeSize} entries): ${retired.verifierKey}`,
        'Pin the new key beside the ones you pinned before (the old checkpoints stay signed by them), e.g.:',
        `  rampart audit verify --verifier-key ${retired.verifierKey} --verifier-key ${current.verifierKey}`,
        'Running gateways sign their next checkpoint with the new key; none signs with the retired one any more.',
        `first checkpoint of the new key: ${checkpoint.treeSize} entries (the last is this rotation)`,
        '',
        checkpoint.note,
      ].join('\n'),
    );
    return AUDIT_EXIT.ok;
  });
}

/** The retired keys, so an operator can pin every version the log's checkpoints need. */
async function describeRetiredKeys({ db }: Database, signer: AuditSigner): Promise<string> {
  const lines: string[] = [];
  for (const key of await listSigningKeys(db)) {
    if (key.retiredAt === null) continue;
    const verifierKey = await signer.findVerifierKey(key.version);
    lines.push(`retired verifier key (version ${key.version}, checkpoints below ${key.retiredAtTreeSize ?? '?'} entries): ${verifierKey ?? 'does not unwrap: see the log'}\n`);
  }
  return lines.join('');
}

/** The full configuration (for the KMS), the database, and the deployment's signer (made on first use). */
async function withSigner(
  io: AuditCommandIo,
  options: { sandbox?: boolean },
  work: (context: { database: Database; kms: KmsProvider; signer: AuditSigner }) => Promise<number>,
): Promise<number> {
  let config: ReturnType<typeof loadConfig> | undefined;
  const open = (): Database => {
    config = loadConfig({ env: io.env, overrides: options.sandbox ? { RAMPART_SANDBOX: 'true' } : {} });
    return createDatabase(config.database);
  };
  return withDatabase(io, open, async (database) => {
    const kms = await createKmsProvider(config as ReturnType<typeof loadConfig>);
    try {
      const signer = await loadAuditSigner({ db: database.db, kms, logger: stderrLogger(io), clock: systemClock });
      return await work({ database, kms, signer });
    } finally {
      await kms.close();
    }
  });
}

/**
 * Opens the database, brings its schema up to date, runs the work and closes it. Configuration,
 * connection and KMS problems exit 2: the log could not be judged, which is not a verdict on it.
 */
async function withDatabase(io: AuditCommandIo, open: () => Database, work: (database: Database) => Promise<number>): Promise<number> {
  let database: Database;
  try {
    database = open();
    await migrateToLatest(database.db);
  } catch (error) {
    reportError(io, error);
    return AUDIT_EXIT.usage;
  }
  try {
    return await work(database);
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
  const keys = verdict.trustedKeys;
  if (!keys) lines.push('trusted verifier keys: none (no key given or stored)');
  else if (keys.source === 'given') lines.push(...keys.verifierKeys.map((key) => `trusted verifier key (given with --verifier-key): ${key}`));
  else {
    lines.push(...keys.verifierKeys.map((key) => `trusted verifier key (read from the database): ${key}`));
    lines.push('warning: these keys were read from the database, where a database writer could substitute their own; pin yours with --verifier-key (once per key version)');
  }
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
