import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../../errors.js';
import { errorSchema } from '../../identity/identity-schemas.js';
import type { AuditLog } from '../audit-log.js';
import type { StoredCheckpoint } from '../audit-repository.js';
import type { SigningKeyRecord } from '../audit-signing-keys.js';
import { readAuditAccess, requireRequestActor, verifyAuditAccess } from './audit-access.js';
import { statusAnswerSchema, verificationSchema } from './audit-route-schemas.js';
import type { VerificationMonitor } from './verification-monitor.js';

/** GET /api/v1/audit/status, POST /api/v1/audit/verify, GET /api/v1/audit/checkpoint. */
export async function registerStatusRoutes(
  app: FastifyInstance,
  { audit, monitor }: { audit: Pick<AuditLog, 'readTreeHead' | 'readLatestCheckpoint' | 'listSigningKeys'>; monitor: VerificationMonitor },
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
      const [head, checkpoint, signingKeys] = await Promise.all([audit.readTreeHead(), audit.readLatestCheckpoint(), audit.listSigningKeys()]);
      return reply.header('cache-control', 'no-store').send({
        treeSize: head.size,
        rootHash: head.rootHash.toString('base64'),
        latestCheckpoint: checkpoint ? toCheckpointView(checkpoint, signingKeys) : null,
        signingKeys: signingKeys.map(toSigningKeyView),
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
        description:
          'A C2SP signed note: origin, tree size, base64 root, blank line, signature. Verify it with the verifier key you pinned (printed at start and by `rampart audit rotate-key`). The headers `audit-signing-key-version` and `audit-verifier-key` say which key the database lists for it: informational, the signature line names the key.',
        tags: ['audit'],
        response: { 200: z.string().describe('text/plain'), 404: errorSchema },
      },
    },
    async (_request, reply) => {
      const [checkpoint, signingKeys] = await Promise.all([audit.readLatestCheckpoint(), audit.listSigningKeys()]);
      if (!checkpoint) throw new AppError('NOT_FOUND', 'No checkpoint has been signed yet; one is signed within a minute of the first entry.');
      const view = toCheckpointView(checkpoint, signingKeys);
      if (view.keyVersion !== null) reply.header('audit-signing-key-version', String(view.keyVersion));
      if (view.verifierKey !== null) reply.header('audit-verifier-key', view.verifierKey);
      return reply.header('content-type', 'text/plain; charset=utf-8').header('cache-control', 'no-store').send(checkpoint.note);
    },
  );
}

function toCheckpointView(checkpoint: StoredCheckpoint, signingKeys: readonly SigningKeyRecord[]) {
  const key = signingKeys.find((candidate) => candidate.version === checkpoint.signingKeyVersion);
  return {
    treeSize: checkpoint.treeSize,
    rootHash: checkpoint.rootHash.toString('base64'),
    signedAt: checkpoint.createdAt,
    keyName: readSigningKeyName(checkpoint.note),
    keyVersion: checkpoint.signingKeyVersion,
    verifierKey: key?.verifierKey ?? null,
    note: checkpoint.note,
  };
}

function toSigningKeyView(key: SigningKeyRecord) {
  return { version: key.version, verifierKey: key.verifierKey, createdAt: key.createdAt, retiredAt: key.retiredAt, retiredAtTreeSize: key.retiredAtTreeSize };
}

/** The key named by the note's first signature line (`— <name> <signature>`); Rampart's key name is the log's origin, the note's first line. */
function readSigningKeyName(note: string): string {
  const signature = /^\u2014 ([^\s+]+) /mu.exec(note);
  return signature?.[1] ?? note.split('\n', 1)[0] ?? '';
}
