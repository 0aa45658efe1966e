import { z } from 'zod';
import { gatewayRuntimes } from '../ingress/bench-settings.js';
import type { GatewayRuntime } from '../ingress/bench-settings.js';

/** The outbound benchmark's knobs, read once from the environment (see bench/README.md). */
export interface OutboundBenchSettings {
  /** Messages sent by the baseline and by the unthrottled gateway. */
  readonly messages: number;
  /** Messages sent by the gateway under a rate limit (default 1,600: 20 s at 80/s). */
  readonly limitedMessages: number;
  /** RAMPART_SEND_RATE_PER_SECOND of the limited phases. */
  readonly limitedRatePerSecond: number;
  /** Graph requests in flight: the baseline client's and the gateway's (RAMPART_SEND_CONCURRENCY). */
  readonly sendConcurrency: number;
  /** Concurrent `POST /api/v1/messages` while queueing (not measured). */
  readonly queueConnections: number;
  readonly phases: readonly PhaseName[];
  /** Requested but impossible here (PostgreSQL without a URL): reported, not failed. */
  readonly skippedPhases: readonly PhaseName[];
  /** Never reported (it may hold a password); null skips the PostgreSQL phases. */
  readonly postgresUrl: string | null;
  readonly cpuProfileDir: string | null;
  readonly gatewayRuntime: GatewayRuntime;
}

export const phaseNames = ['baseline', 'rampart-unthrottled', 'rampart-limited', 'rampart-unthrottled-postgres', 'rampart-limited-postgres'] as const;
export type PhaseName = (typeof phaseNames)[number];
export type GatewayPhaseName = Exclude<PhaseName, 'baseline'>;

export function isPostgresPhase(name: PhaseName): boolean {
  return name.endsWith('-postgres');
}

const positiveInt = z.coerce.number().int().positive();

const settingsSchema = z.object({
  BENCH_OUTBOUND_MESSAGES: positiveInt.max(10_000_000).default(20_000),
  BENCH_OUTBOUND_LIMITED_MESSAGES: positiveInt.max(1_000_000).default(1_600),
  // The config schema's own bounds: 0 would mean "no limit", which is the other phase.
  BENCH_OUTBOUND_LIMITED_RATE: positiveInt.max(10_000).default(80),
  BENCH_OUTBOUND_CONCURRENCY: positiveInt.max(1_000).default(64),
  BENCH_OUTBOUND_QUEUE_CONNECTIONS: positiveInt.max(1_000).default(32),
  BENCH_OUTBOUND_PHASES: z
    .string()
    .transform((value) => value.split(',').map((item) => item.trim()).filter((item) => item.length > 0))
    .pipe(z.array(z.enum(phaseNames)).min(1))
    .optional(),
  BENCH_CPU_PROFILE_DIR: z.string().min(1).optional(),
  BENCH_GATEWAY_RUNTIME: z.enum(gatewayRuntimes).default('compiled'),
  RAMPART_BENCH_POSTGRES_URL: z.string().startsWith('postgres').optional(),
  RAMPART_TEST_POSTGRES_URL: z.string().startsWith('postgres').optional(),
});

/** Parses every knob at once; throws one error listing each bad one by name. */
export function loadOutboundBenchSettings(env: NodeJS.ProcessEnv = process.env): OutboundBenchSettings {
  const withoutEmpty = Object.fromEntries(Object.entries(env).map(([name, value]) => [name, value === '' ? undefined : value]));
  const parsed = settingsSchema.safeParse(withoutEmpty);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `  - ${issue.path.join('.')}: ${issue.message}`).join('\n');
    throw new Error(`bench settings are invalid:\n${problems}`);
  }
  const settings = parsed.data;
  const postgresUrl = settings.RAMPART_BENCH_POSTGRES_URL ?? settings.RAMPART_TEST_POSTGRES_URL ?? null;
  const requested = new Set(settings.BENCH_OUTBOUND_PHASES ?? phaseNames);
  // Always in this order, whatever order was asked for: runs stay comparable.
  const ordered = phaseNames.filter((name) => requested.has(name));
  const isAvailable = (name: PhaseName) => !isPostgresPhase(name) || postgresUrl !== null;
  return Object.freeze({
    messages: settings.BENCH_OUTBOUND_MESSAGES,
    limitedMessages: settings.BENCH_OUTBOUND_LIMITED_MESSAGES,
    limitedRatePerSecond: settings.BENCH_OUTBOUND_LIMITED_RATE,
    sendConcurrency: settings.BENCH_OUTBOUND_CONCURRENCY,
    queueConnections: settings.BENCH_OUTBOUND_QUEUE_CONNECTIONS,
    phases: ordered.filter(isAvailable),
    skippedPhases: ordered.filter((name) => !isAvailable(name)),
    postgresUrl,
    cpuProfileDir: settings.BENCH_CPU_PROFILE_DIR ?? null,
    gatewayRuntime: settings.BENCH_GATEWAY_RUNTIME,
  });
}
