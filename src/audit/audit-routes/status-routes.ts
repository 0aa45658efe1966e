import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../../errors.js';
import { errorSchema } from '../../identity/identity-schemas.js';
import type { AuditLog } from '../audit-log.js';
import type { StoredCheckpoint } from '../audit-repository.js';
import { readAuditAccess, requireRequestActor, verifyAuditAccess } from './audit-access.js';
import { statusAnswerSchema, verificationSchema } from './audit-route-schemas.js';
import type { VerificationMonitor } from './verification-monitor.js';

/** GET /api/v1/audit/status, POST /api/v1/audit/verify, GET /api/v1/audit/checkpoint. */
export async function registerStatusRoutes(
  app: FastifyInstance,
  { audit, monitor }: { audit: Pick<AuditLog, 'readTreeHead' | 'readLatestCheckpoint'>; monitor: VerificationMonitor },
): Promise<void> {
  const api = app.withTypeProvider<ZodTypeProvider>();

  api.get(
    '/api/v1/audit/status',
    {
      config: { access: readAuditAccess },
      schema: {
        summary: 'The audit log: size, root, latest signed checkpoint, verification',
        description: 'Reading it starts a background re-verification when the last result is old (every 5 minutes at most, less often for a large log).',
        tags: ['audit'],
        response: { 200: statusAnswerSchema },
      },
    },
    async (_request, reply) => {
      monitor.startIfDue();
      const [head, checkpoint] = await Promise.all([audit.readTreeHead(), audit.readLatestCheckpoint()]);
      return reply.header('cache-control', 'no-store').send({
        treeSize: head.size,
        rootHash: head.rootHash.toString('base64'),
        latestCheckpoint: checkpoint ? toCheckpointView(checkpoint) : null,
        verification: monitor.describe(),
      });
    },
  );

  api.post(
    '/api/v1/audit/verify',
    {
      config: { access: verifyAuditAccess },
      schema: {
        summary: 'Verify the whole audit log now, in the background',
        description: 'One run at a time: while one runs, this answers its state. Poll GET /api/v1/audit/status for the result. Each run is recorded (audit.verify).',
        tags: ['audit'],
        response: { 202: verificationSchema },
      },
    },
    async (request, reply) => reply.code(202).header('cache-control', 'no-store').send(monitor.start({ kind: 'manual', requester: requireRequestActor(request) })),
  );

  api.get(
    '/api/v1/audit/checkpoint',
    {
      config: { access: readAuditAccess },
      schema: {
        summary: 'The latest signed checkpoint, as text (for witnesses)',
        description: 'A C2SP signed note: origin, tree size, base64 root, blank line, signature. Verify it with the verifier key printed at start.',
        tags: ['audit'],
        response: { 200: z.string().describe('text/plain'), 404: errorSchema },
      },
    },
    async (_request, reply) => {
      const checkpoint = await audit.readLatestCheckpoint();
      if (!checkpoint) throw new AppError('NOT_FOUND', 'No checkpoint has been signed yet; one is signed within a minute of the first entry.');
      return reply.header('content-type', 'text/plain; charset=utf-8').header('cache-control', 'no-store').send(checkpoint.note);
    },
  );
}

function toCheckpointView(checkpoint: StoredCheckpoint) {
  return {
    treeSize: checkpoint.treeSize,
    rootHash: checkpoint.rootHash.toString('base64'),
    signedAt: checkpoint.createdAt,
    keyName: readSigningKeyName(checkpoint.note),
    note: checkpoint.note,
  };
}

/** The key named by the note's first signature line (`— <name> <signature>`); Rampart's key name is the log's origin, the note's first line. */
function readSigningKeyName(note: string): string {
  const signature = /^\u2014 ([^\s+]+) /mu.exec(note);
  return signature?.[1] ?? note.split('\n', 1)[0] ?? '';
}
