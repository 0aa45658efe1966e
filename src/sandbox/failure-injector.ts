import { z } from 'zod';
import { normaliseRecipient } from './send-request-schema.js';

/**
 * Outcomes queued for the next sends, for the gateway's retry tests: "the next N sends
 * (optionally to recipient R) fail with code C", either in the HTTP answer (`response`), as a
 * `failed` status webhook after acceptance (`status`), or as a dropped connection (`drop`).
 */
export const failureRuleSchema = z
  .strictObject({
    mode: z.enum(['response', 'status', 'drop']),
    code: z.number().int().positive().optional(),
    count: z.number().int().positive().max(100_000).default(1),
    recipient: z
      .string()
      .transform((to, ctx) => normaliseRecipient(to) ?? (ctx.addIssue({ code: 'custom', message: 'must be 8 to 15 digits' }), z.NEVER))
      .optional(),
    /** `response` only: replaces the status Meta uses for the code (e.g. 500 for 131000). */
    httpStatus: z.number().int().min(400).max(599).optional(),
    details: z.string().max(1000).optional(),
    /** `drop` only: the message is accepted (statuses follow) and only the answer is lost. */
    isAcceptedBeforeDrop: z.boolean().default(false),
  })
  .refine((rule) => rule.mode === 'drop' || rule.code !== undefined, { message: 'code is required for response and status failures', path: ['code'] });

export type FailureRuleInput = z.input<typeof failureRuleSchema>;
export type FailureRule = z.output<typeof failureRuleSchema> & { id: number; remaining: number };

export type FailureInjector = ReturnType<typeof createFailureInjector>;

export function createFailureInjector() {
  let rules: FailureRule[] = [];
  let nextId = 1;
  return {
    add(input: unknown): FailureRule {
      const parsed = failureRuleSchema.parse(input);
      const rule: FailureRule = { ...parsed, id: nextId++, remaining: parsed.count };
      rules.push(rule);
      return rule;
    },
    /** The oldest rule that matches this recipient, if any, without using it. */
    peek(waId: string): FailureRule | null {
      const rule = rules.find((candidate) => candidate.recipient === undefined || candidate.recipient === waId);
      return rule ? { ...rule } : null;
    },
    /** Uses one of a rule's remaining sends; the rule goes when none is left. */
    consume(id: number): void {
      const rule = rules.find((candidate) => candidate.id === id);
      if (!rule) return;
      rule.remaining -= 1;
      if (rule.remaining === 0) rules = rules.filter((candidate) => candidate !== rule);
    },
    list(): FailureRule[] {
      return rules.map((rule) => ({ ...rule }));
    },
    clear(): void {
      rules = [];
    },
  };
}
