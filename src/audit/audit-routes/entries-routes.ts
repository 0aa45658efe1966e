import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Clock } from '../../clock.js';
import type { Db } from '../../db/database.js';
import { errorSchema } from '../../identity/identity-schemas.js';
import { streamAuditExport } from '../audit-export.js';
import type { AuditLog } from '../audit-log.js';
import { exportAuditAccess, readAuditAccess, requireRequestActor } from './audit-access.js';
import { entriesAnswerSchema, entriesQuerySchema, exportQuerySchema } from './audit-route-schemas.js';
import { readEntryPage } from './entry-page.js';
import type { AuditReadRecorder } from './read-recorder.js';

export const DEFAULT_ENTRIES_PAGE = 100;

/** GET /api/v1/audit/entries (newest first, paged, filtered) and GET /api/v1/audit/export (JSON lines). */
export async function registerEntriesRoutes(
  app: FastifyInstance,
  { db, audit, clock, recorder }: { db: Db; audit: Pick<AuditLog, 'readTreeHead'>; clock: Clock; recorder: AuditReadRecorder },
): Promise<void> {
  const api = app.withTypeProvider<ZodTypeProvider>();

  api.get(
    '/api/v1/audit/entries',
    {
      config: { access: readAuditAccess },
      schema: {
        summary: 'Audit log entries, newest first',
        description: 'Contacts appear as pseudonyms. Reading is itself recorded (audit.read), once per reader every 15 minutes.',
        tags: ['audit'],
        querystring: entriesQuerySchema,
        response: { 200: entriesAnswerSchema, 400: errorSchema },
      },
    },
    async (request, reply) => {
      const { before, limit = DEFAULT_ENTRIES_PAGE, action, outcome } = request.query;
      await recorder.recordEntriesRead(requireRequestActor(request), {});
      const page = await readEntryPage(db, { limit, ...(before === undefined ? {} : { before }), ...(action === undefined ? {} : { actionPrefix: action }), ...(outcome === undefined ? {} : { outcome }) });
      return reply.header('cache-control', 'no-store').send(page);
    },
  );

  api.get(
    '/api/v1/audit/export',
    {
      config: { access: exportAuditAccess },
      schema: {
        summary: 'Export the audit log as JSON lines',
        description:
          'Entries from `since` to the current size, then the newest checkpoint within them (src/audit/README.md: Export); with `since`, first the hashes a reader resumes from. Every export is recorded (audit.export).',
        tags: ['audit'],
        // No response schemas: the answer is a stream of lines, not one JSON document (errors are the usual shape).
        querystring: exportQuerySchema,
      },
    },
    async (request, reply) => {
      const since = request.query.since ?? 0;
      const treeSize = (await audit.readTreeHead()).size;
      await recorder.recordExport(requireRequestActor(request), { since, treeSize });
      const lines = Readable.from(toLines(streamAuditExport(db, { since })));
      const day = new Date(clock.now()).toISOString().slice(0, 10);
      return reply
        .header('content-type', 'application/x-ndjson; charset=utf-8')
        .header('content-disposition', `attachment; filename="rampart-audit-${day}.jsonl"`)
        .header('cache-control', 'no-store')
        .send(lines);
    },
  );
}

async function* toLines(texts: AsyncIterable<string>): AsyncGenerator<string> {
  for await (const text of texts) yield `${text}\n`;
}
