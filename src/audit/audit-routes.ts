import type { FastifyInstance } from 'fastify';
import type { Clock } from '../clock.js';
import type { Db } from '../db/database.js';
import type { AuditLog } from './audit-log.js';

export interface AuditRoutesDependencies {
  db: Db;
  audit: AuditLog;
  clock: Clock;
}

/** The audit log over HTTP: entries, status and verification, checkpoints, proofs (in progress). */
export async function registerAuditRoutes(_api: FastifyInstance, _dependencies: AuditRoutesDependencies): Promise<void> {}
