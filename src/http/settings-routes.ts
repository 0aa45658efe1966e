import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Config } from '../config/load-config.js';
import { settingGroups } from '../config/settings-overview.js';

const settingSchema = z.object({
  name: z.string(),
  value: z.string().nullable().describe('The value in effect (the default when unset); always null for a secret.'),
  isSecret: z.boolean(),
  isSet: z.boolean().describe('Given in the environment, a _FILE, the config file or the command line.'),
  isDefault: z.boolean().describe('The value in effect is the built-in default.'),
  description: z.string(),
});

const settingsAnswerSchema = z.object({ groups: z.array(z.object({ name: z.enum(settingGroups), settings: z.array(settingSchema) })) });

/**
 * The settings page's data: every setting, grouped and described, read-only (settings come from the
 * environment and take effect at start). Built once when the config was loaded; secrets appear only
 * as whether they are set (src/config/settings-overview.ts).
 */
export async function registerSettingsRoutes(app: FastifyInstance, { config }: { config: Config }): Promise<void> {
  const api = app.withTypeProvider<ZodTypeProvider>();
  api.get(
    '/api/v1/settings',
    {
      config: { access: { permission: 'settings.manage' } },
      schema: {
        summary: 'Every setting, grouped, secrets redacted',
        description: 'Read-only: settings come from the environment, `_FILE`s or the config file, and take effect at the next start.',
        tags: ['settings'],
        response: { 200: settingsAnswerSchema },
      },
    },
    async (_request, reply) => reply.header('cache-control', 'no-store').send({ groups: config.settingsOverview.map((group) => ({ name: group.name, settings: [...group.settings] })) }),
  );
}
