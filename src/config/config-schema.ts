import { z } from 'zod';
import { forwardingSettingsSchema } from '../forwarding/forwarding-settings.js';

/**
 * Every setting Rampart reads, by its environment name. Each secret may also come from
 * `<NAME>_FILE`; the config file (`RAMPART_CONFIG_FILE`, JSON) uses the same names.
 */
export const secretNames = [
  'RAMPART_MASTER_KEY',
  'WHATSAPP_APP_SECRET',
  'WHATSAPP_VERIFY_TOKEN',
  'WHATSAPP_ACCESS_TOKEN',
  'RAMPART_PKCS11_PIN',
  'RAMPART_VAULT_TOKEN',
] as const;
export type SecretName = (typeof secretNames)[number];

const port = z.coerce.number().int().min(0).max(65_535);
const positiveInt = z.coerce.number().int().positive();
const list = z
  .string()
  .transform((value) => value.split(',').map((item) => item.trim()).filter((item) => item.length > 0));
const flag = z.enum(['true', 'false', '1', '0']).transform((value) => value === 'true' || value === '1');

export const settingsSchema = z.object({
  RAMPART_DATA_DIR: z.string().min(1).default('./data'),
  RAMPART_DATABASE_URL: z
    .string()
    .refine((url) => url.startsWith('sqlite:') || url.startsWith('postgres://') || url.startsWith('postgresql://'), {
      message: 'must be sqlite:<path> or postgres://…',
    })
    .optional(),
  RAMPART_HOST: z.string().min(1).default('127.0.0.1'),
  RAMPART_PORT: port.default(8080),
  RAMPART_TLS_CERT_FILE: z.string().min(1).optional(),
  RAMPART_TLS_KEY_FILE: z.string().min(1).optional(),
  RAMPART_TRUSTED_PROXIES: list.optional(),
  RAMPART_IP_ALLOWLIST: list.optional(),
  RAMPART_RATE_LIMIT_PER_MINUTE: positiveInt.default(300_000),
  RAMPART_REDIS_URL: z.string().startsWith('redis', { message: 'must be redis://… or rediss://…' }).optional(),
  RAMPART_MAX_JSON_DEPTH: positiveInt.max(1_000).default(64),
  RAMPART_WRITER_MAX_QUEUE: positiveInt.default(10_000),
  RAMPART_WRITER_MAX_BATCH: positiveInt.max(10_000).default(512),
  // The KMS value is parsed by resolveKmsSettings (src/crypto/kms-settings.ts), which names the accepted forms.
  RAMPART_KMS: z.string().min(1).default('local'),
  RAMPART_PKCS11_PIN: z.string().min(1).optional(),
  RAMPART_VAULT_TOKEN: z.string().min(1).optional(),
  RAMPART_VAULT_NAMESPACE: z
    .string()
    .regex(/^[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+)*$/, { message: 'must be a Vault namespace path such as team-a or team-a/rampart' })
    .optional(),
  RAMPART_AWS_KMS_ENDPOINT: z.url({ protocol: /^https?$/ }).optional(),
  RAMPART_DATA_KEY_MAX_AGE_SECONDS: positiveInt.default(300),
  RAMPART_DATA_KEY_MAX_USES: positiveInt.default(100_000),
  RAMPART_SEND_RATE_PER_SECOND: z.coerce.number().int().min(0).max(10_000).default(80),
  RAMPART_SEND_PAIR_BURST: positiveInt.max(1_000).default(10),
  RAMPART_SEND_PAIR_INTERVAL_MS: positiveInt.default(6_500),
  RAMPART_SEND_CONCURRENCY: positiveInt.max(1_000).default(64),
  RAMPART_SEND_MAX_ATTEMPTS: positiveInt.max(100).default(10),
  RAMPART_SEND_RETRY_BASE_MS: positiveInt.max(600_000).default(1_000),
  RAMPART_OUTBOX_LEASE_SECONDS: positiveInt.max(3_600).default(60),
  RAMPART_WORKERS: flag.default(true),
  RAMPART_SANDBOX_PORT: port.default(8081),
  RAMPART_MEDIA_MAX_BYTES: positiveInt.max(100 * 1024 * 1024).default(16 * 1024 * 1024),
  RAMPART_VERIFIED_DOMAINS: list.optional(),
  RAMPART_OPT_OUT_KEYWORDS: list.optional(),
  RAMPART_OPT_IN_KEYWORDS: list.optional(),
  RAMPART_OPT_OUT_REPLY: z.string().max(1_024).default('You will no longer get marketing messages from us. Reply START to subscribe again.'),
  RAMPART_OPT_IN_REPLY: z.string().max(1_024).default('You are subscribed to our marketing messages again. Reply STOP to unsubscribe.'),
  RAMPART_PUBLIC_URL: z
    .url({ protocol: /^https?$/ })
    .refine((url) => /^https?:\/\/[^/?#]+\/?$/.test(url), { message: 'must be an origin such as https://rampart.example.com (no path, query or fragment)' })
    .optional(),
  RAMPART_SESSION_IDLE_MINUTES: positiveInt.max(24 * 60).default(15),
  RAMPART_SESSION_MAX_HOURS: positiveInt.max(7 * 24).default(12),
  RAMPART_STEP_UP_MINUTES: positiveInt.max(60).default(5),
  RAMPART_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  RAMPART_SANDBOX: flag.default(false),
  RAMPART_MASTER_KEY: z.string().min(1).optional(),
  WHATSAPP_APP_SECRET: z.string().min(1).optional(),
  WHATSAPP_VERIFY_TOKEN: z.string().min(1).optional(),
  WHATSAPP_ACCESS_TOKEN: z.string().min(1).optional(),
  WHATSAPP_PHONE_NUMBER_ID: z.string().regex(/^\d+$/, { message: 'must be the numeric phone number id' }).optional(),
  WHATSAPP_BUSINESS_ACCOUNT_ID: z.string().regex(/^\d+$/, { message: 'must be the numeric WhatsApp Business Account id' }).optional(),
  WHATSAPP_GRAPH_URL: z.url({ protocol: /^https?$/ }).default('https://graph.facebook.com'),
  WHATSAPP_API_VERSION: z.string().regex(/^v\d+\.\d+$/, { message: 'must look like v23.0' }).default('v23.0'),
  ...forwardingSettingsSchema.shape,
});

export type SettingName = keyof z.input<typeof settingsSchema>;
export const settingNames = Object.keys(settingsSchema.shape) as SettingName[];
export type Settings = z.output<typeof settingsSchema>;
