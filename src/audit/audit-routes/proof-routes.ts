import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Db } from '../../db/database.js';
import { AppError } from '../../errors.js';
import { errorSchema } from '../../identity/identity-schemas.js';
import type { AuditLog } from '../audit-log.js';
import { listAuditEntries } from '../audit-repository.js';
import { readAuditAccess } from './audit-access.js';
import { consistencyAnswerSchema, consistencyQuerySchema, inclusionAnswerSchema, inclusionQuerySchema } from './audit-route-schemas.js';

const toBase64 = (hash: Buffer): string => hash.toString('base64');

/**
 * GET /api/v1/audit/proofs/inclusion and /consistency, served from the stored subtrees (one read of
 * O(log n) rows). Check them against a signed checkpoint's root with src/audit/merkle-verify.ts:
 * a proof is only as good as the (size, root) pair it is checked against.
 */
export async function registerProofRoutes(app: FastifyInstance, { db, audit }: { db: Db; audit: Pick<AuditLog, 'readTreeHead' | 'proveInclusion' | 'proveConsistency'> }): Promise<void> {
  const api = app.withTypeProvider<ZodTypeProvider>();

  api.get(
    '/api/v1/audit/proofs/inclusion',
    {
      config: { access: readAuditAccess },
      schema: {
        summary: 'Proof that an entry is in the tree of a given size',
        tags: ['audit'],
        querystring: inclusionQuerySchema,
        response: { 200: inclusionAnswerSchema, 400: errorSchema },
      },
    },
    async (request) => {
      const { seq, treeSize } = request.query;
      await requireTreeSizeAtMostCurrent(treeSize);
      if (seq >= treeSize) throw new AppError('INVALID_REQUEST', `seq must be below treeSize (${treeSize}).`);
      const [entry] = await listAuditEntries(db, { fromSeq: seq, beforeSeq: seq + 1, limit: 1 });
      if (!entry) throw new AppError('NOT_FOUND', `Entry ${seq} is not stored; verify the log.`);
      const hashes = await audit.proveInclusion(seq, treeSize);
      return { seq, treeSize, leafHash: toBase64(entry.leafHash), hashes: hashes.map(toBase64) };
    },
  );

  api.get(
    '/api/v1/audit/proofs/consistency',
    {
      config: { access: readAuditAccess },
      schema: {
        summary: 'Proof that the tree of size `to` extends the tree of size `from`',
        description: 'What a witness asks for between the last checkpoint it saw and a newer one.',
        tags: ['audit'],
        querystring: consistencyQuerySchema,
        response: { 200: consistencyAnswerSchema, 400: errorSchema },
      },
    },
    async (request) => {
      const { from, to } = request.query;
      await requireTreeSizeAtMostCurrent(to);
      if (from === 0) throw new AppError('INVALID_REQUEST', 'from must be at least 1: consistency with the empty tree proves nothing.');
      if (from > to) throw new AppError('INVALID_REQUEST', 'from must not exceed to.');
      const hashes = await audit.proveConsistency(from, to);
      return { from, to, hashes: hashes.map(toBase64) };
    },
  );

  async function requireTreeSizeAtMostCurrent(size: number): Promise<void> {
    const current = (await audit.readTreeHead()).size;
    if (size > current) throw new AppError('INVALID_REQUEST', `The log holds ${current} entries; ask for a tree size up to that (a signed checkpoint's).`);
  }
}
