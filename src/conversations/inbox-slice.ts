import type { FastifyInstance } from 'fastify';
import type { AuditLog } from '../audit/audit-log.js';
import type { Clock } from '../clock.js';
import type { Config } from '../config/load-config.js';
import type { BlindIndex } from '../crypto/blind-index.js';
import type { KeyStore } from '../crypto/key-store.js';
import type { Database } from '../db/database.js';
import type { SendService } from '../outbound/send-service.js';

export interface InboxSliceDependencies {
  config: Config;
  clock: Clock;
  database: Database;
  keys: KeyStore;
  index: BlindIndex;
  audit: AuditLog;
  sends: SendService;
}

/** The dashboard's inbox: conversations, threads, contacts, replies, assignment (in progress). */
export function createInboxSlice(_dependencies: InboxSliceDependencies) {
  return {
    async registerRoutes(_api: FastifyInstance): Promise<void> {},
  };
}
