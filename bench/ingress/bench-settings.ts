import { z } from 'zod';

/** The benchmark's knobs, read once from the environment (see bench/README.md). */
export interface BenchSettings {
  readonly connections: number;
  readonly durationSeconds: number;
  readonly warmupSeconds: number;
  readonly customers: number;
  readonly targets: readonly TargetName[];
  /** Requested but impossible here (PostgreSQL without a URL): reported, not failed. */
  readonly skippedTargets: readonly TargetName[];
  /** PostgreSQL server for the second Rampart run; null skips that run. */
  readonly postgresUrl: string | null;
  /** When set, Rampart children write V8 CPU profiles here (`node --cpu-prof`). */
  readonly cpuProfileDir: string | null;
  readonly gatewayRuntime: GatewayRuntime;
}

export const gatewayRuntimes = ['tsx', 'compiled'] as const;
export type GatewayRuntime = (typeof gatewayRuntimes)[number];

export const targetNames = ['baseline', 'rampart-sqlite', 'rampart-postgres'] as const;
export type TargetName = (typeof targetNames)[number];

const positiveInt = z.coerce.number().int().positive();

const settingsSchema = z.object({
  BENCH_CONNECTIONS: positiveInt.max(10_000).default(50),
  BENCH_DURATION_SECONDS: positiveInt.max(3_600).default(10),
  BENCH_WARMUP_SECONDS: z.coerce.number().int().min(0).max(600).default(3),
  BENCH_CUSTOMERS: positiveInt.max(1_000_000).default(1_000),
  BENCH_TARGETS: z
    .string()
    .transform((value) => value.split(',').map((item) => item.trim()).filter((item) => item.length > 0))
    .pipe(z.array(z.enum(targetNames)).min(1))
    .optional(),
  BENCH_CPU_PROFILE_DIR: z.string().min(1).optional(),
  BENCH_GATEWAY_RUNTIME: z.enum(gatewayRuntimes).default('compiled'),
  RAMPART_BENCH_POSTGRES_URL: z.string().startsWith('postgres').optional(),
  RAMPART_TEST_POSTGRES_URL: z.string().startsWith('postgres').optional(),
});

/** Parses every knob at once; throws one error listing each bad one by name. */
export function loadBenchSettings(env: NodeJS.ProcessEnv = process.env): BenchSettings {
  const parsed = settingsSchema.safeParse(emptyToUndefined(env));
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `  - ${issue.path.join('.')}: ${issue.message}`).join('\n');
    throw new Error(`bench settings are invalid:\n${problems}`);
  }
  const settings = parsed.data;
  const postgresUrl = settings.RAMPART_BENCH_POSTGRES_URL ?? settings.RAMPART_TEST_POSTGRES_URL ?? null;
  const requested = settings.BENCH_TARGETS ?? targetNames;
  const isAvailable = (name: TargetName) => name !== 'rampart-postgres' || postgresUrl !== null;
  return Object.freeze({
    connections: settings.BENCH_CONNECTIONS,
    durationSeconds: settings.BENCH_DURATION_SECONDS,
    warmupSeconds: settings.BENCH_WARMUP_SECONDS,
    customers: settings.BENCH_CUSTOMERS,
    targets: requested.filter(isAvailable),
    skippedTargets: requested.filter((name) => !isAvailable(name)),
    postgresUrl,
    cpuProfileDir: settings.BENCH_CPU_PROFILE_DIR ?? null,
    gatewayRuntime: settings.BENCH_GATEWAY_RUNTIME,
  });
}

function emptyToUndefined(env: NodeJS.ProcessEnv): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(env).map(([name, value]) => [name, value === '' ? undefined : value]));
}
