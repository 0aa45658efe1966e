/** The audit routes' request and answer shapes (the dashboard contract, issue 4); zod validates and documents them. */
import { z } from 'zod';
import { auditOutcomes } from '../audit-entry.js';

const MAX_SAFE = Number.MAX_SAFE_INTEGER;
/** A sequence number or tree size from a query string: canonical decimal, a safe integer. */
const querySize = (description: string) =>
  z
    .string()
    .regex(/^(0|[1-9][0-9]{0,15})$/, { message: 'must be a non-negative whole number' })
    .transform(Number)
    .pipe(z.number().int().min(0).max(MAX_SAFE))
    .describe(description);

// A filter form sends empty fields (`?action=&outcome=`): they mean "no filter", not a bad request.
const blankToUndefined = (value: unknown): unknown => (value === '' ? undefined : value);
const optionalParameter = <T extends z.ZodType>(schema: T) => z.preprocess(blankToUndefined, schema.optional());

export const entriesQuerySchema = z.object({
  before: optionalParameter(querySize("Only entries with a smaller sequence number: the previous page's nextBefore.")),
  limit: optionalParameter(
    z
      .string()
      .regex(/^[1-9][0-9]{0,2}$/, { message: 'must be a whole number from 1 to 500' })
      .transform(Number)
      .pipe(z.number().max(500, { message: 'must be a whole number from 1 to 500' }))
      .describe('Entries per page, 1–500 (default 100).'),
  ),
  action: optionalParameter(
    z
      .string()
      .max(100)
      .regex(/^[a-z][a-z0-9.-]*$/, { message: 'must be the start of a dotted lowercase action, e.g. auth or conversation.open' })
      .describe('Only actions starting with this text (auth, auth.login, conversation.).'),
  ),
  outcome: optionalParameter(z.enum(auditOutcomes)),
});

const detailValueSchema = z.union([z.string(), z.number(), z.boolean(), z.null()]);

export const entrySchema = z.object({
  seq: z.number(),
  occurredAt: z.number(),
  actor: z.object({ type: z.string(), id: z.string(), label: z.string().optional() }),
  action: z.string(),
  resource: z.object({ type: z.string(), id: z.string() }).nullable(),
  subject: z.string().nullable().describe('The contact\'s pseudonym (C- and the first 8 hex digits of its id), never a number.'),
  sourceAddress: z.string().nullable(),
  outcome: z.string(),
  details: z.record(z.string(), detailValueSchema),
});

export const entriesAnswerSchema = z.object({
  entries: z.array(entrySchema).describe('Newest first.'),
  nextBefore: z.number().nullable().describe('Pass as `before` for the next (older) page; null on the last page.'),
});

export const verificationSchema = z.object({
  state: z.enum(['intact', 'broken', 'running', 'never-run']),
  checkedAt: z.number().nullable().describe('When the last completed run started.'),
  checkedSize: z.number().nullable().describe('Entries the last completed run covered.'),
  firstBadSeq: z.number().nullable().describe('The first entry found bad, when one is to blame.'),
  message: z.string().nullable(),
});

const signingKeySchema = z.object({
  version: z.number(),
  verifierKey: z.string().nullable(),
  createdAt: z.number(),
  retiredAt: z.number().nullable(),
  retiredAtTreeSize: z.number().nullable().describe('Its successor\'s first checkpoint: every checkpoint this key signed is smaller.'),
});

export const statusAnswerSchema = z.object({
  treeSize: z.number(),
  rootHash: z.string().describe('Base64 of the current Merkle root.'),
  latestCheckpoint: z
    .object({
      treeSize: z.number(),
      rootHash: z.string(),
      signedAt: z.number(),
      keyName: z.string(),
      keyVersion: z.number().nullable().describe('The signing key version the checkpoint\'s row names.'),
      verifierKey: z.string().nullable().describe('That version\'s verifier key as the database lists it (pin your own copy).'),
      note: z.string().describe('The signed note, byte for byte.'),
    })
    .nullable(),
  signingKeys: z
    .array(signingKeySchema)
    .describe('Every checkpoint signing key over the log\'s life, oldest first; exactly one is not retired.'),
  verification: verificationSchema,
});

export const inclusionQuerySchema = z.object({ seq: querySize('The entry\'s sequence number (its leaf index).'), treeSize: querySize('The tree size the proof is for (a checkpoint\'s).') });
export const inclusionAnswerSchema = z.object({ seq: z.number(), treeSize: z.number(), leafHash: z.string(), hashes: z.array(z.string()) });

export const consistencyQuerySchema = z.object({ from: querySize('The older tree size.'), to: querySize('The newer tree size.') });
export const consistencyAnswerSchema = z.object({ from: z.number(), to: z.number(), hashes: z.array(z.string()) });

export const exportQuerySchema = z.object({ since: optionalParameter(querySize('First sequence number to export (default 0).')) });
