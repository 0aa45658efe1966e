import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signWebhookBody } from '../../src/ingress/signature.js';
import { createSqliteDatabase } from '../support/databases.js';
import type { TestDatabase } from '../support/databases.js';
import { serialiseLikeMeta, textMessagePayload } from '../support/payloads.js';
import { startTestGateway } from '../support/test-gateway.js';
import type { TestGateway } from '../support/test-gateway.js';

// Pins: forged or altered webhooks never reach the parser or the store, and a refusal never
// tells the caller what the right signature would have been.

let database: TestDatabase;
let gateway: TestGateway;
let counter = 0;

beforeAll(async () => {
  database = await createSqliteDatabase();
  gateway = await startTestGateway(database);
});
afterAll(async () => {
  await gateway.close();
  await database.drop();
});

function freshBody(text = 'hello'): { body: string; wamid: string } {
  counter += 1;
  const wamid = `wamid.signature-test-${counter}`;
  return { body: serialiseLikeMeta(textMessagePayload([{ wamid, from: '4915112345678', body: text }])), wamid };
}

async function expectRefused(response: Response, wamid: string, expectedSignature: string): Promise<void> {
  expect(response.status).toBe(401);
  const text = await response.text();
  expect(JSON.parse(text)).toMatchObject({ code: 'INVALID_SIGNATURE' });
  expect(text).not.toContain(expectedSignature.slice('sha256='.length));
  expect(await gateway.rampart.reader.findMessageByWamid(wamid)).toBeNull();
}

describe('X-Hub-Signature-256', () => {
  it('accepts a body signed with the app secret over its raw bytes', async () => {
    const { body, wamid } = freshBody();
    expect((await gateway.post(body)).status).toBe(200);
    expect(await gateway.rampart.reader.findMessageByWamid(wamid)).not.toBeNull();
  });

  it('refuses a missing header and stores nothing', async () => {
    const { body, wamid } = freshBody();
    await expectRefused(await gateway.post(body, { signature: null }), wamid, signWebhookBody(gateway.secrets.appSecret, body));
  });

  it.each([
    ['a wrong prefix', (hex: string) => `sha1=${hex}`],
    ['no prefix', (hex: string) => hex],
    ['a truncated digest', (hex: string) => `sha256=${hex.slice(0, 63)}`],
    ['an over-long digest', (hex: string) => `sha256=${hex}00`],
    ['non-hex characters', (hex: string) => `sha256=${hex.slice(0, 63)}g`],
    ['an empty digest', () => 'sha256='],
  ])('refuses a signature with %s', async (_case, mangle) => {
    const { body, wamid } = freshBody();
    const expected = signWebhookBody(gateway.secrets.appSecret, body);
    await expectRefused(await gateway.post(body, { signature: mangle(expected.slice('sha256='.length)) }), wamid, expected);
  });

  it('refuses a signature made with another secret', async () => {
    const { body, wamid } = freshBody();
    await expectRefused(await gateway.post(body, { signature: signWebhookBody('not-the-app-secret', body) }), wamid, signWebhookBody(gateway.secrets.appSecret, body));
  });

  it('refuses a body altered by one byte after signing', async () => {
    const { body, wamid } = freshBody('pay 100');
    const signature = signWebhookBody(gateway.secrets.appSecret, body);
    const altered = body.replace('pay 100', 'pay 900');
    await expectRefused(await gateway.post(altered, { signature }), wamid, signWebhookBody(gateway.secrets.appSecret, altered));
  });

  it('refuses a valid signature over a re-serialised body', async () => {
    // Meta signs \\u-escaped bytes; a receiver that re-serialises sees different bytes.
    const { body, wamid } = freshBody('Grüße 😀');
    const reserialised = JSON.stringify(JSON.parse(body));
    expect(reserialised).not.toBe(body);
    await expectRefused(
      await gateway.post(reserialised, { signature: signWebhookBody(gateway.secrets.appSecret, body) }),
      wamid,
      signWebhookBody(gateway.secrets.appSecret, reserialised),
    );
  });

  it('accepts unicode-escaped bodies with emoji and escaped slashes, and stores the decoded text', async () => {
    const text = 'Grüße aus Köln 😀 https://example.com/a/b – नमस्ते';
    const { body, wamid } = freshBody(text);
    expect(body).toContain('\\ud83d\\ude00');
    expect(body).toContain('\\/');
    expect((await gateway.post(body)).status).toBe(200);
    const stored = await gateway.rampart.reader.findMessageByWamid(wamid);
    expect(stored?.content).toMatchObject({ text: { body: text } });
  });

  it('accepts a body sent as raw UTF-8 when signed over those bytes', async () => {
    const { wamid } = freshBody();
    const body = JSON.stringify(textMessagePayload([{ wamid, from: '4915112345678', body: 'Grüße 😀' }]));
    expect((await gateway.post(Buffer.from(body, 'utf8'))).status).toBe(200);
    expect(await gateway.rampart.reader.findMessageByWamid(wamid)).not.toBeNull();
  });

  it('accepts an upper-case hex digest (same bytes)', async () => {
    const { body, wamid } = freshBody();
    const hex = createHmac('sha256', gateway.secrets.appSecret).update(body).digest('hex').toUpperCase();
    expect((await gateway.post(body, { signature: `sha256=${hex}` })).status).toBe(200);
    expect(await gateway.rampart.reader.findMessageByWamid(wamid)).not.toBeNull();
  });

  it('checks the signature before parsing: invalid JSON with a bad signature is 401, not 400', async () => {
    const response = await gateway.post('{not json', { signature: `sha256=${'0'.repeat(64)}` });
    expect(response.status).toBe(401);
  });

  it('never logs the signature header, the body or the app secret', async () => {
    const { body } = freshBody('canary-text-4711');
    const signature = signWebhookBody(gateway.secrets.appSecret, body);
    await gateway.post(body);
    await gateway.post(body, { signature: `sha256=${'0'.repeat(64)}` });
    const logs = gateway.logs();
    expect(logs).not.toContain(signature.slice('sha256='.length));
    expect(logs).not.toContain('canary-text-4711');
    expect(logs).not.toContain(gateway.secrets.appSecret);
  });
});
