import type { FastifyInstance } from 'fastify';
import type { Config } from '../config/load-config.js';

/** The settings page's data: every setting, secrets redacted (in progress). */
export async function registerSettingsRoutes(_api: FastifyInstance, _dependencies: { config: Config }): Promise<void> {}
