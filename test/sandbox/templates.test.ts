import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { verifyWebhookSignature } from '../../src/ingress/signature.js';
import { parseWebhookPayload } from '../../src/ingress/webhook-schema.js';
import { VERSION, WABA_ID, createTestEmulator, templateTo } from './support/emulator-fixture.js';
import type { TestEmulator } from './support/emulator-fixture.js';
import { startWebhookReceiver } from './support/webhook-receiver.js';
import type { WebhookReceiver } from './support/webhook-receiver.js';

const CUSTOMER = '4915112345678';
const templatesPath = `/${VERSION}/${WABA_ID}/message_templates`;

let test: TestEmulator;
let hook: WebhookReceiver;
beforeAll(async () => {
  hook = await startWebhookReceiver();
  // Long enough that a send right after creation always sees the template still PENDING.
  test = await createTestEmulator({ webhookUrl: hook.url, pairRateLimit: { burst: 1_000 }, templateReviewDelayMs: 150 });
});
afterAll(async () => {
  await test.emulator.close();
  await hook.close();
});
beforeEach(() => {
  hook.received.length = 0;
});

interface TemplateUpdate {
  event: string;
  message_template_id: number;
  message_template_name: string;
  message_template_language: string;
  reason: string;
}

function templateUpdates(): TemplateUpdate[] {
  return hook.received.flatMap((webhook) =>
    webhook.json.entry.flatMap((entry) => entry.changes.filter((change) => change.field === 'message_template_status_update').map((change) => change.value as unknown as TemplateUpdate)),
  );
}

describe('sending templates', () => {
  it.each([
    ['an unknown name', templateTo(CUSTOMER, 'no_such_template')],
    ['a known name in another language', { to: CUSTOMER, type: 'template', template: { name: 'hello_world', language: { code: 'de' } } }],
  ])('refuses %s with 132001', async (_case, message) => {
    const answer = await test.send(message);
    expect(answer.status).toBe(400);
    expect(answer.body.error?.code).toBe(132001);
  });

  it.each([
    ['order_update', ['Ada'], '(1) does not match the expected number of params (2)'],
    ['order_update', ['Ada', 'A-17', 'extra'], '(3) does not match the expected number of params (2)'],
    ['hello_world', ['unexpected'], '(1) does not match the expected number of params (0)'],
    ['verification_code', [], '(0) does not match the expected number of params (1)'],
  ])('refuses %s with parameters %j with 132000', async (name, parameters, details) => {
    const answer = await test.send(templateTo(CUSTOMER, name, parameters));
    expect(answer.body.error?.code).toBe(132000);
    expect(answer.body.error?.error_data.details).toContain(details);
  });

  it('fills the parameters into what the customer reads', async () => {
    await test.send(templateTo(CUSTOMER, 'order_update', ['Ada', 'A-17']));
    expect(test.emulator.sentMessages(CUSTOMER).at(-1)?.content).toEqual({
      kind: 'template',
      name: 'order_update',
      language: 'en_US',
      category: 'UTILITY',
      text: 'Hello Ada, your order A-17 is on its way.',
    });
  });

  it('refuses a paused template with 132015 and a disabled one with 132016, announcing each by webhook', async () => {
    const { create } = await createApproved('seasonal_offer', 'Offer {{1}}');
    expect(create.status).toBe(200);
    expect(test.emulator.setTemplateStatus('seasonal_offer', 'en_US', 'PAUSED')).toBe(true);
    expect((await test.send(templateTo(CUSTOMER, 'seasonal_offer', ['x']))).body.error?.code).toBe(132015);
    expect(test.emulator.setTemplateStatus('seasonal_offer', 'en_US', 'DISABLED')).toBe(true);
    expect((await test.send(templateTo(CUSTOMER, 'seasonal_offer', ['x']))).body.error?.code).toBe(132016);
    await test.emulator.waitForIdle();
    expect(templateUpdates().map((update) => update.event)).toEqual(['APPROVED', 'PAUSED', 'DISABLED']);
  });
});

async function createApproved(name: string, body: string) {
  const create = await test.graph('POST', templatesPath, { name, language: 'en_US', category: 'MARKETING', components: [{ type: 'BODY', text: body }] });
  await hook.waitFor(() => templateUpdates().some((update) => update.message_template_name === name));
  return { create };
}

describe('creating templates', () => {
  it('answers PENDING, then after review sends a signed APPROVED webhook, and the template becomes sendable', async () => {
    const create = await test.graph('POST', templatesPath, {
      name: 'shipping_notice',
      language: 'en_US',
      category: 'UTILITY',
      components: [{ type: 'BODY', text: 'Your parcel {{1}} left our warehouse.' }],
    });
    expect(create.status).toBe(200);
    expect(create.body).toMatchObject({ status: 'PENDING', category: 'UTILITY' });
    expect(create.body.id).toMatch(/^\d{15}$/);
    expect((await test.send(templateTo(CUSTOMER, 'shipping_notice', ['P-1']))).body.error?.code).toBe(132001);

    await hook.waitFor(() => templateUpdates().length === 1);
    const webhook = hook.received[0]!;
    expect(verifyWebhookSignature(Buffer.from(test.emulator.appSecret), webhook.rawBody, webhook.headers['x-hub-signature-256'])).toBe('valid');
    expect(parseWebhookPayload(webhook.json).ok).toBe(true);
    expect(webhook.json.entry[0]?.id).toBe(WABA_ID);
    expect(templateUpdates()[0]).toEqual({
      event: 'APPROVED',
      message_template_id: Number(create.body.id),
      message_template_name: 'shipping_notice',
      message_template_language: 'en_US',
      reason: 'NONE',
    });
    expect((await test.send(templateTo(CUSTOMER, 'shipping_notice', ['P-1']))).status).toBe(200);
  });

  it.each([
    ['a name starting with reject_', 'reject_me', 'Hello {{1}}'],
    ['an empty body', 'empty_body', '  '],
    ['placeholders not numbered from 1', 'gappy_body', 'Hello {{2}}'],
    ['a named placeholder', 'named_body', 'Hello {{first_name}}'],
  ])('rejects %s after review, with a reason', async (_case, name, body) => {
    const create = await test.graph('POST', templatesPath, { name, language: 'en_US', category: 'MARKETING', components: [{ type: 'BODY', text: body }] });
    expect(create.body.status).toBe('PENDING');
    await hook.waitFor(() => templateUpdates().length === 1);
    expect(templateUpdates()[0]).toMatchObject({ event: 'REJECTED', message_template_name: name, reason: 'INVALID_FORMAT' });
    const listed = await test.graph('GET', `${templatesPath}?name=${name}`);
    expect(listed.body.data).toMatchObject([{ name, status: 'REJECTED', rejected_reason: 'INVALID_FORMAT' }]);
  });

  it.each([
    ['an upper-case name', { name: 'Bad Name', language: 'en_US', category: 'UTILITY', components: [{ type: 'BODY', text: 'x' }] }, 'name'],
    ['an unknown category', { name: 'ok_name', language: 'en_US', category: 'PROMO', components: [{ type: 'BODY', text: 'x' }] }, 'category'],
    ['no components', { name: 'ok_name', language: 'en_US', category: 'UTILITY', components: [] }, 'components'],
    ['a duplicate of hello_world en_US', { name: 'hello_world', language: 'en_US', category: 'UTILITY', components: [{ type: 'BODY', text: 'x' }] }, 'already exists'],
  ])('refuses %s with code 100', async (_case, body, details) => {
    const answer = await test.graph('POST', templatesPath, body);
    expect(answer.status).toBe(400);
    expect(answer.body.error?.code).toBe(100);
    expect(answer.body.error?.error_data.details).toContain(details);
  });
});

describe('listing templates', () => {
  it('lists the seeded templates as APPROVED', async () => {
    const answer = await test.graph('GET', templatesPath);
    const names = (answer.body.data as { name: string; status: string }[]).filter((template) => template.status === 'APPROVED').map((template) => template.name);
    expect(names).toEqual(expect.arrayContaining(['hello_world', 'order_update', 'verification_code']));
    expect(answer.body.paging).toBeDefined();
  });

  it('filters by name', async () => {
    const answer = await test.graph('GET', `${templatesPath}?name=order`);
    expect((answer.body.data as { name: string }[]).map((template) => template.name)).toEqual(['order_update']);
  });

  it('answers 100 for a WABA id it does not host', async () => {
    expect((await test.graph('GET', `/${VERSION}/111111111111111/message_templates`)).body.error?.code).toBe(100);
  });
});
