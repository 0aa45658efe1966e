import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

const delay = z.number().int().min(0);
const probability = z.number().min(0).max(1);
const digits = z.string().regex(/^\d{1,20}$/, { message: 'must be digits' });

/** The plain-data options, validated once so a typo in a test fails at construction. */
const settingsSchema = z.object({
  phoneNumberId: digits.default('106540352242922'),
  /** As Meta writes it in webhook metadata: digits, no "+". */
  displayPhoneNumber: digits.default('15550783881'),
  wabaId: digits.default('102290129340398'),
  verifiedName: z.string().min(1).default('Rampart Sandbox'),
  /** The bearer token the Graph API demands; generated when not given. */
  accessToken: z.string().min(16).optional(),
  /** Signs every webhook; generated when not given. */
  appSecret: z.string().min(1).optional(),
  webhookUrl: z.url({ protocol: /^https?$/ }).nullable().default(null),
  /** Base of the media URLs the Graph API hands out; set from the listening address on listen. */
  publicUrl: z.url({ protocol: /^https?$/ }).default('http://127.0.0.1'),
  /** Outbound messages per second per business number (Meta: 80 by default). */
  throughputPerSecond: z.number().int().positive().default(80),
  /** Per recipient: a burst, then one message per `refillEveryMs` (Meta: about one per 6 s). */
  pairRateLimit: z.object({ burst: z.number().int().positive().default(45), refillEveryMs: delay.default(6 * SECOND) }).prefault({}),
  /** After acceptance; `read: null` means the customer never reads. */
  statusDelaysMs: z
    .object({ sent: delay.default(300), delivered: delay.default(1_000), read: delay.nullable().default(3_000) })
    .prefault({}),
  chaos: z
    .object({
      duplicateProbability: probability.default(0),
      reorderProbability: probability.default(0),
      seed: z.number().int().default(() => randomBytes(4).readUInt32BE(0)),
    })
    .prefault({}),
  /**
   * Pause before each retry of a webhook not answered 200: the n-th entry after the n-th failed
   * attempt, then `thenEveryMs`, until `giveUpAfterMs` after the first attempt (Meta: 7 days).
   */
  webhookRetry: z
    .object({
      delaysMs: z.array(delay).default([0, 5 * SECOND, 30 * SECOND, 2 * MINUTE, 10 * MINUTE, 30 * MINUTE, HOUR]),
      thenEveryMs: delay.default(4 * HOUR),
      giveUpAfterMs: delay.default(7 * 24 * HOUR),
    })
    .prefault({}),
  webhookTimeoutMs: z.number().int().positive().default(10 * SECOND),
  maxConcurrentWebhooks: z.number().int().positive().default(50),
  templateReviewDelayMs: delay.default(5 * SECOND),
  /**
   * How a free-form message outside the 24-hour window is refused. Meta accepts the request and
   * then sends a `failed` status with 131047; `error-response` answers 131047 at once instead.
   */
  windowViolation: z.enum(['failed-status', 'error-response']).default('failed-status'),
  /** Where the discovery file goes on listen; null writes none. */
  dataDir: z.string().min(1).nullable().default(null),
});

export type CloudApiEmulatorSettingsInput = z.input<typeof settingsSchema>;
type ParsedSettings = z.output<typeof settingsSchema>;

export interface CloudApiEmulatorOptions extends CloudApiEmulatorSettingsInput {
  clock?: Clock;
  logger?: Logger;
}

export interface EmulatorSettings extends ParsedSettings {
  accessToken: string;
  appSecret: string;
}

/** Validates the options (throwing a TypeError that lists every problem) and fills the defaults. */
export function resolveEmulatorSettings(options: CloudApiEmulatorOptions): EmulatorSettings {
  // Only the plain-data options are validated; clock and logger are objects the schema strips.
  const parsed = settingsSchema.safeParse(options);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new TypeError(`invalid Cloud API emulator options: ${problems.join('; ')}`);
  }
  return {
    ...parsed.data,
    accessToken: parsed.data.accessToken ?? randomBytes(32).toString('base64url'),
    appSecret: parsed.data.appSecret ?? randomBytes(24).toString('hex'),
  };
}
