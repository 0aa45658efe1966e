import type { Command } from 'commander';
import { loadConfig } from '../config/load-config.js';
import type { Config } from '../config/load-config.js';
import { createLogger } from '../logger.js';
import type { Logger } from '../logger.js';
import { buildRampart } from '../main.js';
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

async function startGateway(config: Config, logger: Logger): Promise<void> {
  for (const notice of config.notices) logger.info(notice);
  const rampart = await buildRampart({ config, logger });
  let isStopping = false;
  const stop = (signal: string) => {
    if (isStopping) return;
    isStopping = true;
    logger.info({ signal }, 'stopping: finishing in-flight requests');
    rampart.close().then(
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
  if (config.isSandbox) {
    logger.warn('sandbox mode: secrets were generated for local use; never expose this instance to the internet');
  }
}
