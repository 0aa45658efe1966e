import type { Command } from 'commander';
import { loadConfig } from '../config/load-config.js';
import type { Config } from '../config/load-config.js';
import { createLogger } from '../logger.js';
import type { Logger } from '../logger.js';
import { buildRampart } from '../main.js';
import { startCloudApiEmulator } from '../sandbox/cloud-api-emulator.js';
import type { CloudApiEmulator } from '../sandbox/cloud-api-emulator.js';
import { exitWithError } from './fail.js';

export function registerStartCommand(program: Command): void {
  program
    .command('start')
    .description('run the gateway')
    .option('--sandbox', 'development mode: generate missing secrets into the data dir')
    .action(async (options: { sandbox?: boolean }) => {
      let config: Config;
      try {
        config = loadConfig({ overrides: options.sandbox ? { RAMPART_SANDBOX: 'true' } : {} });
      } catch (error) {
        exitWithError(error);
      }
      const logger = createLogger(config.logLevel);
      try {
        await startGateway(config, logger);
      } catch (error) {
        logger.fatal({ err: error }, 'rampart could not start');
        exitWithError(error);
      }
    });
}

async function startGateway(initialConfig: Config, logger: Logger): Promise<void> {
  for (const notice of initialConfig.notices) logger.info(notice);
  const emulator = initialConfig.isSandbox ? await startEmulator(initialConfig, logger) : null;
  // In the sandbox the gateway talks to the emulator as it would to Meta's Graph API.
  const config = emulator
    ? loadConfig({
        overrides: {
          RAMPART_SANDBOX: 'true',
          WHATSAPP_GRAPH_URL: emulator.url()!,
          WHATSAPP_PHONE_NUMBER_ID: emulator.phoneNumberId,
          WHATSAPP_BUSINESS_ACCOUNT_ID: emulator.wabaId,
        },
      })
    : initialConfig;
  const rampart = await buildRampart({ config, logger }).catch(async (error: unknown) => {
    await emulator?.close();
    throw error;
  });
  let isStopping = false;
  const stop = (signal: string) => {
    if (isStopping) return;
    isStopping = true;
    logger.info({ signal }, 'stopping: finishing in-flight requests');
    rampart.close().then(() => emulator?.close()).then(
      () => {
        logger.info('stopped');
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'stopped with an error');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));

  const address = await rampart.app.listen({ host: config.http.host, port: config.http.port });
  const scheme = config.http.tls ? 'https' : 'http';
  logger.info(
    { webhook: `${address}/webhooks/whatsapp`, database: config.database.kind, tls: scheme === 'https', sandbox: config.isSandbox },
    'rampart is listening',
  );
  const setupPath = await rampart.identity.ensureBootstrapLink();
  if (setupPath) {
    logger.warn(
      { setupUrl: `${config.http.port === 0 ? address : config.identity.publicUrl}${setupPath}` },
      'no users yet: open setupUrl in a browser to create the first admin (valid 24 hours, works once; each start replaces it)',
    );
  }
  if (emulator) {
    emulator.setWebhookUrl(`${address}/webhooks/whatsapp`);
    logger.info(
      { graphApi: emulator.url(), customerPage: emulator.pageUrl(), phoneNumberId: emulator.phoneNumberId },
      'sandbox: the Cloud API emulator plays Meta and your customers; open customerPage to chat as a customer, or run `npx rampart sandbox say --from +4915112345678 "Hello"`',
    );
    logger.warn('sandbox mode: secrets were generated for local use; never expose this instance to the internet');
  }
}

/** The emulator that stands in for Meta in sandbox mode, with the sandbox's own secrets. */
function startEmulator(config: Config, logger: Logger): Promise<CloudApiEmulator> {
  return startCloudApiEmulator({
    port: config.sandbox.port,
    appSecret: config.whatsapp.appSecret.reveal(),
    accessToken: config.whatsapp.accessToken!.reveal(),
    ...(config.whatsapp.phoneNumberId ? { phoneNumberId: config.whatsapp.phoneNumberId } : {}),
    webhookUrl: null,
    dataDir: config.dataDir,
    logger: logger.child({ component: 'sandbox' }),
  });
}
