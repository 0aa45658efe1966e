import type { FastifyInstance } from 'fastify';
import type { AuditLog } from '../audit/audit-log.js';
import type { Clock } from '../clock.js';
import type { Config } from '../config/load-config.js';
import type { BlindIndex } from '../crypto/blind-index.js';
import type { KeyStore } from '../crypto/key-store.js';
import type { Database } from '../db/database.js';
import type { SendService } from '../outbound/send-service.js';
import { createConversationAssignments } from './inbox-assignment.js';
import { registerInboxRoutes } from './inbox-routes.js';
import { createInboxService } from './inbox-service.js';

export interface InboxSliceDependencies {
  config: Config;
  clock: Clock;
  database: Database;
  keys: KeyStore;
  index: BlindIndex;
  audit: AuditLog;
  sends: SendService;
}

/** The dashboard's inbox: conversations, threads, contacts, replies, assignment, export (see README.md). */
export function createInboxSlice({ clock, database, keys, index, audit, sends }: InboxSliceDependencies) {
  const db = database.db;
  const inbox = createInboxService({ db, keys, index, clock, audit, sends });
  const assignments = createConversationAssignments({ db, clock, audit });
  return {
    async registerRoutes(api: FastifyInstance): Promise<void> {
      await registerInboxRoutes(api, { inbox, assignments, audit });
    },
  };
}
