import { loadBenchSettings } from '../ingress/bench-settings.js';
import type { BenchSettings } from '../ingress/bench-settings.js';

/** The machine's PostgreSQL as the tests use it; each phase works in a fresh schema of its own. */
export const DEFAULT_POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432/test';

export interface ScaleSettings extends BenchSettings {
  readonly postgresUrl: string;
  /** Where the URL came from, for the report (never the URL: it may hold a password). */
  readonly postgresSource: 'RAMPART_BENCH_POSTGRES_URL or RAMPART_TEST_POSTGRES_URL' | 'default';
}

/** The ingress bench's knobs (connections, duration, warm-up, customers, runtime), PostgreSQL always on. */
export function loadScaleSettings(env: NodeJS.ProcessEnv = process.env): ScaleSettings {
  const settings = loadBenchSettings(env);
  return Object.freeze({
    ...settings,
    postgresUrl: settings.postgresUrl ?? DEFAULT_POSTGRES_URL,
    postgresSource: settings.postgresUrl === null ? 'default' : 'RAMPART_BENCH_POSTGRES_URL or RAMPART_TEST_POSTGRES_URL',
  });
}
