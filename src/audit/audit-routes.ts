import type { FastifyInstance } from 'fastify';
import type { Clock } from '../clock.js';
import type { Db } from '../db/database.js';
import type { AuditLog } from './audit-log.js';
import { registerEntriesRoutes } from './audit-routes/entries-routes.js';
import { registerProofRoutes } from './audit-routes/proof-routes.js';
import { createAuditReadRecorder } from './audit-routes/read-recorder.js';
import { registerStatusRoutes } from './audit-routes/status-routes.js';
import { createVerificationMonitor } from './audit-routes/verification-monitor.js';

export interface AuditRoutesDependencies {
  db: Db;
  audit: AuditLog;
  clock: Clock;
}

/** How long shutdown waits for a running verification before closing under it. */
const SHUTDOWN_WAIT_MS = 2_000;

/**
 * The audit log over HTTP (src/audit/README.md, "Over HTTP"): entries, status and background
 * verification, the latest checkpoint for witnesses, proofs, and the JSON-lines export. Reading
 * entries, exporting and verifying are themselves recorded in the log.
 */
export async function registerAuditRoutes(api: FastifyInstance, { db, audit, clock }: AuditRoutesDependencies): Promise<void> {
  const monitor = createVerificationMonitor({ db, audit, clock, logger: api.log.child({ component: 'audit-verification' }) });
  const recorder = createAuditReadRecorder({ audit, clock });
  api.addHook('onClose', async () => monitor.settle(SHUTDOWN_WAIT_MS));
  await registerEntriesRoutes(api, { db, audit, clock, recorder });
  await registerStatusRoutes(api, { audit, monitor });
  await registerProofRoutes(api, { db, audit });
}
