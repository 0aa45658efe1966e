import { z } from 'zod';
import type { Clock } from '../clock.js';
import { GraphError } from './graph-errors.js';
import { createNumericId } from './identifiers.js';
import type { TemplateRequest } from './send-request-schema.js';
import type { TimerSet } from './timer-set.js';
import type { TemplateStatusEvent } from './webhook-payloads.js';

export type TemplateStatus = 'APPROVED' | 'PENDING' | 'REJECTED' | 'PAUSED' | 'DISABLED';
export type TemplateCategory = 'MARKETING' | 'UTILITY' | 'AUTHENTICATION';

const componentSchema = z.looseObject({
  type: z.string().transform((type) => type.toUpperCase()).pipe(z.enum(['HEADER', 'BODY', 'FOOTER', 'BUTTONS'])),
  format: z.string().optional(),
  text: z.string().max(1024).optional(),
  buttons: z.array(z.looseObject({ type: z.string() })).max(10).optional(),
  add_security_recommendation: z.boolean().optional(),
});
type TemplateComponent = z.output<typeof componentSchema>;

/** The body of `POST /<version>/<WABA id>/message_templates`. */
export const createTemplateSchema = z.looseObject({
  name: z.string().regex(/^[a-z0-9_]{1,512}$/, { message: 'lowercase letters, digits and underscores' }),
  language: z.string().min(2).max(15),
  category: z.enum(['MARKETING', 'UTILITY', 'AUTHENTICATION']),
  components: z.array(componentSchema).min(1),
});

interface StoredTemplate {
  id: string;
  name: string;
  language: string;
  category: TemplateCategory;
  status: TemplateStatus;
  components: TemplateComponent[];
  rejectedReason: string | null;
}

const authenticationBody = '*{{1}}* is your verification code. For your security, do not share this code.';

/** Seeded like a fresh WhatsApp Business Account, plus two templates with parameters for tests. */
const seedTemplates: Omit<StoredTemplate, 'id' | 'status' | 'rejectedReason'>[] = [
  {
    name: 'hello_world',
    language: 'en_US',
    category: 'UTILITY',
    components: [
      { type: 'HEADER', format: 'TEXT', text: 'Hello World' },
      { type: 'BODY', text: 'Welcome and congratulations!! This message demonstrates your ability to send a WhatsApp message notification from the Cloud API, hosted by Meta. Thank you for taking the time to test with us.' },
      { type: 'FOOTER', text: 'WhatsApp Business Platform sample message' },
    ],
  },
  {
    name: 'order_update',
    language: 'en_US',
    category: 'UTILITY',
    components: [{ type: 'BODY', text: 'Hello {{1}}, your order {{2}} is on its way.' }],
  },
  {
    name: 'verification_code',
    language: 'en_US',
    category: 'AUTHENTICATION',
    components: [
      { type: 'BODY', text: authenticationBody, add_security_recommendation: true },
      { type: 'FOOTER', text: 'This code expires in 10 minutes.' },
      { type: 'BUTTONS', buttons: [{ type: 'OTP', otp_type: 'COPY_CODE', text: 'Copy code' }] },
    ],
  },
];

export interface TemplateStoreOptions {
  clock: Clock;
  timers: TimerSet;
  reviewDelayMs: number;
  onStatusChange(event: TemplateStatusEvent): void;
}

export type TemplateStore = ReturnType<typeof createTemplateStore>;

/** The account's message templates: list, create with a simulated review, and send-time checks. */
export function createTemplateStore(options: TemplateStoreOptions) {
  const templates: StoredTemplate[] = seedTemplates.map((seed) => ({ ...seed, id: createNumericId(), status: 'APPROVED', rejectedReason: null }));
  const find = (name: string, language: string) => templates.find((template) => template.name === name && template.language === language) ?? null;

  function changeStatus(template: StoredTemplate, status: TemplateStatus, reason: string | null): void {
    template.status = status;
    template.rejectedReason = status === 'REJECTED' ? reason : null;
    options.onStatusChange({ event: status, templateId: template.id, name: template.name, language: template.language, reason: reason ?? 'NONE' });
  }

  return {
    list(filter: { name?: string; status?: string; language?: string; category?: string } = {}) {
      return templates
        .filter((template) => filter.name === undefined || template.name.includes(filter.name))
        .filter((template) => filter.status === undefined || template.status === filter.status.toUpperCase())
        .filter((template) => filter.language === undefined || template.language === filter.language)
        .filter((template) => filter.category === undefined || template.category === filter.category.toUpperCase())
        .map(viewTemplate);
    },
    /** Stores a new template as PENDING; after the review delay it becomes APPROVED or REJECTED. */
    create(input: z.output<typeof createTemplateSchema>) {
      if (find(input.name, input.language)) {
        throw new GraphError(100, { subcode: 2388024, details: 'Content in this language already exists for this template name.' });
      }
      const components = input.category === 'AUTHENTICATION' ? withAuthenticationBody(input.components) : input.components;
      const template: StoredTemplate = { id: createNumericId(), name: input.name, language: input.language, category: input.category, status: 'PENDING', components, rejectedReason: null };
      templates.push(template);
      options.timers.after(options.reviewDelayMs, () => {
        if (template.status !== 'PENDING') return;
        const reason = findRejectionReason(template);
        changeStatus(template, reason === null ? 'APPROVED' : 'REJECTED', reason);
      });
      return { id: template.id, status: template.status, category: template.category };
    },
    /** What Meta's quality checks do (pause, disable, reinstate), on demand. Returns false for an unknown template. */
    setStatus(name: string, language: string, status: TemplateStatus, reason: string | null = null): boolean {
      const template = find(name, language);
      if (!template) return false;
      changeStatus(template, status, reason);
      return true;
    },
    /** Send-time checks (132001, 132015, 132016, 132000); returns what the customer would read. */
    checkSendable(request: TemplateRequest): { category: TemplateCategory; text: string } {
      const template = find(request.name, request.language.code);
      if (!template || template.status === 'PENDING' || template.status === 'REJECTED') {
        throw new GraphError(132001, { details: `template name (${request.name}) does not exist in ${request.language.code} or is not approved` });
      }
      if (template.status === 'PAUSED') throw new GraphError(132015);
      if (template.status === 'DISABLED') throw new GraphError(132016);
      const bodyText = textOf(template, 'BODY');
      const bodyParameters = parametersOf(request, 'body');
      checkParameterCount('body', countPlaceholders(bodyText), bodyParameters.length);
      checkParameterCount('header', countPlaceholders(textOf(template, 'HEADER')), parametersOf(request, 'header').length);
      return { category: template.category, text: fillPlaceholders(bodyText, bodyParameters) };
    },
  };
}

function viewTemplate(template: StoredTemplate) {
  return {
    name: template.name,
    components: template.components,
    language: template.language,
    status: template.status,
    category: template.category,
    parameter_format: 'POSITIONAL',
    id: template.id,
    ...(template.rejectedReason === null ? {} : { rejected_reason: template.rejectedReason }),
  };
}

/** Documented review rules: names starting `reject_`, an empty body, or placeholders not numbered 1..n are rejected. */
function findRejectionReason(template: StoredTemplate): string | null {
  if (template.name.startsWith('reject_')) return 'INVALID_FORMAT';
  const body = textOf(template, 'BODY');
  if (body.trim() === '') return 'INVALID_FORMAT';
  const numbers = [...new Set([...body.matchAll(/\{\{\s*([^}]*?)\s*\}\}/g)].map((match) => match[1] ?? ''))];
  const isSequential = numbers.every((value) => /^\d+$/.test(value)) && numbers.map(Number).sort((a, b) => a - b).every((value, index) => value === index + 1);
  return isSequential ? null : 'INVALID_FORMAT';
}

function withAuthenticationBody(components: TemplateComponent[]): TemplateComponent[] {
  // Meta writes the body of authentication templates itself.
  const others = components.filter((component) => component.type !== 'BODY');
  return [{ type: 'BODY', text: authenticationBody, add_security_recommendation: true }, ...others];
}

function textOf(template: StoredTemplate, type: 'HEADER' | 'BODY'): string {
  return template.components.find((component) => component.type === type)?.text ?? '';
}

function countPlaceholders(text: string): number {
  return new Set([...text.matchAll(/\{\{(\d+)\}\}/g)].map((match) => match[1])).size;
}

type RequestParameter = NonNullable<NonNullable<TemplateRequest['components']>[number]['parameters']>[number];

function parametersOf(request: TemplateRequest, type: 'header' | 'body'): RequestParameter[] {
  return request.components?.find((component) => component.type === type)?.parameters ?? [];
}

function checkParameterCount(component: 'header' | 'body', expected: number, given: number): void {
  if (expected === given) return;
  throw new GraphError(132000, { details: `${component}: number of localizable_params (${given}) does not match the expected number of params (${expected})` });
}

function fillPlaceholders(text: string, parameters: RequestParameter[]): string {
  return text.replace(/\{\{(\d+)\}\}/g, (placeholder, index: string) => {
    const parameter = parameters[Number(index) - 1];
    if (!parameter) return placeholder;
    return parameter.text ?? `[${parameter.type}]`;
  });
}
