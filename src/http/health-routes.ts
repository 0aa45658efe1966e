import type { FastifyInstance } from 'fastify';

export interface ReadinessCheck {
  name: string;
  /** Resolves true when this part can take traffic. */
  isReady(): Promise<boolean>;
}

/**
 * /healthz: the process is alive. /readyz: it can take traffic now (database reachable, not
 * overloaded); a load balancer stops sending while it answers 503.
 */
export async function registerHealthRoutes(app: FastifyInstance, checks: readonly ReadinessCheck[]): Promise<void> {
  // Checks run at most once a second, shared by concurrent probes: a flood of /readyz must not
  // take database connections from the webhook.
  let last: { at: number; failing: Promise<string[]> } | null = null;
  const findFailing = (): Promise<string[]> => {
    if (!last || Date.now() - last.at >= READINESS_CACHE_MS) last = { at: Date.now(), failing: runChecks(checks) };
    return last.failing;
  };
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const failing = await findFailing();
    return reply.code(failing.length === 0 ? 200 : 503).send({ status: failing.length === 0 ? 'ready' : 'unready', failing });
  });
}

const READINESS_CACHE_MS = 1_000;

async function runChecks(checks: readonly ReadinessCheck[]): Promise<string[]> {
  const results = await Promise.all(checks.map(async (check) => [check.name, await check.isReady().catch(() => false)] as const));
  return results.filter(([, isReady]) => !isReady).map(([name]) => name);
}
