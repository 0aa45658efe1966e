import type { Command } from 'commander';
import { loadConfig } from '../config/load-config.js';
import type { Config } from '../config/load-config.js';
import { AppError } from '../errors.js';
import { createLogger } from '../logger.js';
import { startCloudApiEmulator } from '../sandbox/cloud-api-emulator.js';
import { discoveryFilePath, readDiscoveryFile } from '../sandbox/discovery-file.js';
import { exitWithError } from './fail.js';

export const DEFAULT_WEBHOOK_URL = 'http://127.0.0.1:8080/webhooks/whatsapp';

/** E.164 as people type it: "+" optional, 8 to 15 digits. */
const PHONE_NUMBER = /^\+?\d{8,15}$/;

export interface SayCommandInput {
  dataDir: string;
  from: string;
  name?: string;
  text: string;
  write(line: string): void;
  writeError(line: string): void;
}

/**
 * `rampart sandbox say`: one customer message through the running emulator. Returns the exit
 * code: 0 acknowledged by the gateway, 1 not acknowledged (the emulator keeps retrying),
 * 2 nothing sent (no emulator, invalid number, refused request).
 */
export async function runSayCommand(input: SayCommandInput): Promise<number> {
  if (!PHONE_NUMBER.test(input.from)) {
    input.writeError('rampart: --from must be a phone number in international format: "+" optional, then 8 to 15 digits (e.g. +4915112345678)');
    return 2;
  }
  const sandbox = await readDiscoveryFile(input.dataDir);
  if (sandbox === null || !isProcessAlive(sandbox.pid)) {
    input.writeError(`rampart: no sandbox is running (${sandbox === null ? 'no' : 'stale'} ${discoveryFilePath(input.dataDir)}); start one with \`rampart start --sandbox\` or \`rampart sandbox\``);
    return 2;
  }
  let response: Response;
  try {
    response = await fetch(new URL('/sandbox/say', sandbox.url), {
      method: 'POST',
      headers: { authorization: `Bearer ${sandbox.controlToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ from: input.from, text: input.text, ...(input.name === undefined ? {} : { name: input.name }) }),
    });
  } catch {
    input.writeError(`rampart: no sandbox is answering at ${sandbox.url}`);
    return 2;
  }
  const body = (await response.json().catch(() => ({}))) as SayAnswer;
  if (response.status !== 200 || typeof body.wamid !== 'string' || !body.delivery) {
    const problems = body.issues?.map((issue) => `${issue.path}: ${issue.message}`).join('; ') ?? body.error ?? `HTTP ${response.status}`;
    input.writeError(`rampart: the sandbox refused the message: ${problems}`);
    return 2;
  }
  input.write(body.wamid);
  if (body.delivery.isAcknowledged) {
    input.write('the gateway acknowledged it (HTTP 200)');
    return 0;
  }
  const answer = body.delivery.status === null ? 'did not answer' : `answered ${body.delivery.status}`;
  input.writeError(`rampart: the gateway ${answer}; the emulator will keep retrying as Meta does`);
  return 1;
}

interface SayAnswer {
  wamid?: unknown;
  delivery?: { status: number | null; isAcknowledged: boolean };
  error?: string;
  issues?: { path: string; message: string }[];
}

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return error instanceof Error && 'code' in error && error.code === 'EPERM';
  }
}

async function runStartCommand(options: { webhookUrl: string; port?: string }): Promise<void> {
  let config: Config;
  try {
    config = loadConfig({ overrides: { RAMPART_SANDBOX: 'true', ...(options.port === undefined ? {} : { RAMPART_SANDBOX_PORT: options.port }) } });
  } catch (error) {
    exitWithError(error);
  }
  const accessToken = config.whatsapp.accessToken?.reveal();
  if (accessToken === undefined) throw new AppError('CONFIG_INVALID', 'WHATSAPP_ACCESS_TOKEN: required by the emulator (sandbox mode generates one into the data dir)');
  const logger = createLogger(config.logLevel);
  const emulator = await startCloudApiEmulator({
    port: config.sandbox.port,
    webhookUrl: options.webhookUrl,
    appSecret: config.whatsapp.appSecret.reveal(),
    accessToken,
    ...(config.whatsapp.phoneNumberId === null ? {} : { phoneNumberId: config.whatsapp.phoneNumberId }),
    dataDir: config.dataDir,
    logger,
  });
  const secretsSource = config.generatedSecretsPath ?? 'the environment';
  const lines = [
    `Cloud API emulator listening on ${emulator.url()}`,
    `  gateway settings: WHATSAPP_GRAPH_URL=${emulator.url()} WHATSAPP_PHONE_NUMBER_ID=${emulator.phoneNumberId}`,
    `  app secret and access token: from ${secretsSource} (a gateway started with --sandbox on the same data dir shares them)`,
    `  webhooks go to ${options.webhookUrl}`,
    `  customer page: ${emulator.pageUrl()}`,
    '  or from a terminal: rampart sandbox say --from +4915112345678 "hello"',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  const stop = () => void emulator.close().then(() => process.exit(0), () => process.exit(1));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

export function registerSandboxCommand(program: Command): void {
  const sandbox = program.command('sandbox').description('the local WhatsApp Cloud API emulator and customer simulator');
  sandbox
    .command('start', { isDefault: true })
    .description('run the emulator standalone, posting webhooks to a gateway')
    .option('--webhook-url <url>', "the gateway's webhook URL", DEFAULT_WEBHOOK_URL)
    .option('--port <port>', 'port of the emulator on 127.0.0.1 (default RAMPART_SANDBOX_PORT, 8081; 0: any free port)')
    .action(async (options: { webhookUrl: string; port?: string }) => {
      try {
        await runStartCommand(options);
      } catch (error) {
        exitWithError(error);
      }
    });
  sandbox
    .command('say')
    .description('write to the business as a customer, through the running emulator')
    .requiredOption('--from <phone>', "the customer's phone number, e.g. +4915112345678")
    .option('--name <name>', "the customer's profile name")
    .argument('<text...>', 'the message')
    .action(async (words: string[], options: { from: string; name?: string }) => {
      process.exitCode = await runSayCommand({
        dataDir: process.env.RAMPART_DATA_DIR || './data',
        from: options.from,
        ...(options.name === undefined ? {} : { name: options.name }),
        text: words.join(' '),
        write: (line) => process.stdout.write(`${line}\n`),
        writeError: (line) => process.stderr.write(`${line}\n`),
      });
    });
}
