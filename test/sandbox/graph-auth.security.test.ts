import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCESS_TOKEN, PHONE_NUMBER_ID, VERSION, WABA_ID, createTestEmulator, textTo } from './support/emulator-fixture.js';
import type { TestEmulator } from './support/emulator-fixture.js';

// Pins: every Graph API path demands the configured bearer token and refuses anything else
// with Meta's code 190, so a gateway that sends no token or a stale one fails here as at Meta.

let test: TestEmulator;
beforeAll(async () => {
  test = await createTestEmulator();
});
afterAll(() => test.emulator.close());

const graphPaths: ['GET' | 'POST' | 'DELETE', string, unknown][] = [
  ['POST', `/${VERSION}/${PHONE_NUMBER_ID}/messages`, { messaging_product: 'whatsapp', ...textTo('4915112345678') }],
  ['GET', `/${VERSION}/${PHONE_NUMBER_ID}`, undefined],
  ['GET', `/${VERSION}/123456789012345`, undefined],
  ['DELETE', `/${VERSION}/123456789012345`, undefined],
  ['GET', `/${VERSION}/${WABA_ID}/message_templates`, undefined],
  ['POST', `/${VERSION}/${WABA_ID}/message_templates`, { name: 'x', language: 'en_US', category: 'UTILITY', components: [] }],
  ['POST', `/${VERSION}/${PHONE_NUMBER_ID}/media`, undefined],
  ['GET', '/whatsapp_business/attachments/?mid=1&ext=1&hash=x', undefined],
];

describe('Graph API bearer token', () => {
  it.each(graphPaths)('refuses %s %s without a token: 401, code 190', async (method, path, payload) => {
    const answer = await test.graph(method, path, payload, null);
    expect(answer.status).toBe(401);
    expect(answer.body.error).toMatchObject({ code: 190, type: 'OAuthException', error_data: { messaging_product: 'whatsapp' } });
    expect(answer.body.error?.fbtrace_id).toMatch(/^A[\w-]{22}$/);
  });

  it.each([
    ['a wrong token of the same length', `${ACCESS_TOKEN.slice(0, -1)}x`],
    ['a prefix of the token', ACCESS_TOKEN.slice(0, 10)],
    ['the token with a suffix', `${ACCESS_TOKEN}0`],
  ])('refuses %s with 190', async (_case, token) => {
    const answer = await test.graph('GET', `/${VERSION}/${PHONE_NUMBER_ID}`, undefined, token);
    expect(answer.status).toBe(401);
    expect(answer.body.error?.code).toBe(190);
  });

  it('refuses the token under another scheme or in the query string', async () => {
    const basic = await test.emulator.app.inject({ method: 'GET', url: `/${VERSION}/${PHONE_NUMBER_ID}`, headers: { authorization: `Basic ${ACCESS_TOKEN}` } });
    const query = await test.emulator.app.inject({ method: 'GET', url: `/${VERSION}/${PHONE_NUMBER_ID}?access_token=${ACCESS_TOKEN}` });
    expect([basic.statusCode, query.statusCode]).toEqual([401, 401]);
  });

  it('answers the phone number with the right token', async () => {
    const answer = await test.graph('GET', `/${VERSION}/${PHONE_NUMBER_ID}`);
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ id: PHONE_NUMBER_ID, display_phone_number: test.emulator.displayPhoneNumber });
  });

  it('answers 100 (GraphMethodException, subcode 33) for a phone number id it does not host', async () => {
    const answer = await test.graph('POST', `/${VERSION}/999999999999999/messages`, { messaging_product: 'whatsapp', ...textTo('4915112345678') });
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatchObject({ code: 100, type: 'GraphMethodException', error_subcode: 33 });
  });

  it('refuses a path whose version does not look like v23.0', async () => {
    const answer = await test.graph('GET', `/latest/${PHONE_NUMBER_ID}`);
    expect(answer.status).toBe(400);
    expect(answer.body.error?.code).toBe(2500);
  });

  it('generates a token when none is configured, and that token works', async () => {
    const other = await createTestEmulator({ accessToken: undefined });
    try {
      expect(other.emulator.accessToken.length).toBeGreaterThanOrEqual(32);
      expect((await other.graph('GET', `/${VERSION}/${PHONE_NUMBER_ID}`, undefined, other.emulator.accessToken)).status).toBe(200);
      expect((await other.graph('GET', `/${VERSION}/${PHONE_NUMBER_ID}`)).status).toBe(401);
    } finally {
      await other.emulator.close();
    }
  });
});
