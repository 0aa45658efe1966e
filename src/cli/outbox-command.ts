import type { Command } from 'commander';
import { systemClock } from '../clock.js';
import { loadDatabaseConfig } from '../config/load-config.js';
import { createDatabase } from '../db/database.js';
import type { Db } from '../db/database.js';
import { migrateToLatest } from '../db/migrate.js';
import { listDeadJobs, requeueDeadJob } from '../db/outbox-repository.js';
import { AppError } from '../errors.js';
import { requeueFailedMessage } from '../outbound/outbound-admin.js';
import { SEND_MESSAGE_JOB } from '../outbound/send-service.js';
import { createSenderPauses } from '../outbound/sender-pauses.js';
import { exitWithError } from './fail.js';

/** `rampart outbox …`: what the workers have to do, what they gave up on, and paused numbers. */
export function registerOutboxCommand(program: Command): void {
  const outbox = program.command('outbox').description('inspect and unblock the outbox (sends, media fetches, forwarding)');

  outbox
    .command('status')
    .description('jobs by kind and state, and paused business numbers')
    .action(() =>
      withDatabase(async (db) => {
        const rows = await db
          .selectFrom('outbox_jobs')
          .select(['kind', 'state', (eb) => eb.fn.countAll<number>().as('count')])
          .groupBy(['kind', 'state'])
          .orderBy('kind')
          .execute();
        if (rows.length === 0) process.stdout.write('the outbox is empty\n');
        for (const row of rows) process.stdout.write(`${row.kind.padEnd(16)} ${row.state.padEnd(8)} ${Number(row.count)}\n`);
        for (const pause of await createSenderPauses({ db, clock: systemClock }).listPauses()) {
          const until = pause.paused_until === null ? 'until resumed' : `until ${new Date(Number(pause.paused_until)).toISOString()}`;
          process.stdout.write(`paused: number ${pause.phone_number_id} ${until}: ${pause.reason}\n`);
        }
      }),
    );

  outbox
    .command('dead')
    .description('jobs that will not be retried, newest first, with their reason')
    .option('--limit <n>', 'how many', '50')
    .action((options: { limit: string }) =>
      withDatabase(async (db) => {
        const jobs = await listDeadJobs(db, Math.max(1, Math.min(1_000, Number(options.limit) || 50)));
        if (jobs.length === 0) process.stdout.write('no dead jobs\n');
        for (const job of jobs) {
          process.stdout.write(`${job.id}  ${job.kind}  ${new Date(Number(job.updated_at)).toISOString()}  attempts ${job.attempts}  ${job.last_error ?? ''}\n`);
        }
      }),
    );

  outbox
    .command('retry <jobId>')
    .description('queue a dead job again (after fixing what made it fail)')
    .action((jobId: string) =>
      withDatabase(async (db) => {
        const job = await db.selectFrom('outbox_jobs').select(['kind', 'subject_id']).where('id', '=', jobId).where('state', '=', 'dead').executeTakeFirst();
        if (!job) throw new AppError('NOT_FOUND', 'No dead job has that id.');
        if (job.kind === SEND_MESSAGE_JOB) await requeueFailedMessage(db, job.subject_id, Date.now());
        await requeueDeadJob(db, { id: jobId, now: Date.now() });
        process.stdout.write(`queued ${jobId} again; a running gateway picks it up within a second\n`);
      }),
    );

  outbox
    .command('resume [phoneNumberId]')
    .description('lift a sending pause (spam limit 131048, expired token 190) for one number, or all')
    .action((phoneNumberId: string | undefined) =>
      withDatabase(async (db) => {
        const lifted = await createSenderPauses({ db, clock: systemClock }).resume(phoneNumberId);
        process.stdout.write(lifted === 0 ? 'nothing was paused\n' : `resumed ${lifted} number(s)\n`);
      }),
    );
}

async function withDatabase(work: (db: Db) => Promise<void>): Promise<void> {
  const database = (() => {
    try {
      return createDatabase(loadDatabaseConfig());
    } catch (error) {
      exitWithError(error);
    }
  })();
  try {
    await migrateToLatest(database.db);
    await work(database.db);
  } catch (error) {
    await database.close();
    exitWithError(error);
  }
  await database.close();
}
