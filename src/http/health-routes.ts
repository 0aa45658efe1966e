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
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const results = await Promise.all(checks.map(async (check) => [check.name, await check.isReady().catch(() => false)] as const));
    const failing = results.filter(([, isReady]) => !isReady).map(([name]) => name);
    return reply.code(failing.length === 0 ? 200 : 503).send({ status: failing.length === 0 ? 'ready' : 'unready', failing });
  });
}
