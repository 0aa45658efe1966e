import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEmulator } from './support/emulator-fixture.js';
import type { TestEmulator } from './support/emulator-fixture.js';

// Pins: the customer page cannot run markup smuggled in a message (strict CSP, no inline
// script, no HTML-parsing DOM sinks), and nothing but a holder of the control token can drive
// the emulator through /sandbox/….

let test: TestEmulator;
beforeAll(async () => {
  test = await createTestEmulator();
});
afterAll(() => test.emulator.close());

async function get(url: string) {
  return test.emulator.app.inject({ method: 'GET', url });
}

describe('customer page', () => {
  it('is served with a strict content security policy', async () => {
    const page = await get('/');
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    const policy = String(page.headers['content-security-policy']);
    expect(policy).toContain("default-src 'self'");
    expect(policy).toContain("script-src 'self'");
    expect(policy).toContain("frame-ancestors 'none'");
    expect(policy).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
    expect(page.headers['x-content-type-options']).toBe('nosniff');
  });

  it('has no inline script, event handler attribute or inline style', async () => {
    const html = (await get('/')).body;
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attributes, body] of scripts) {
      expect(attributes).toMatch(/\bsrc="\/app\.js"/);
      expect(body?.trim()).toBe('');
    }
    expect(html).not.toMatch(/\son[a-z]+\s*=/i);
    expect(html).not.toMatch(/<style|\sstyle\s*=/i);
    expect(html).not.toMatch(/javascript:/i);
  });

  it('serves a script that never parses strings as HTML', async () => {
    const script = await get('/app.js');
    expect(script.statusCode).toBe(200);
    expect(script.headers['content-type']).toMatch(/^text\/javascript/);
    expect(script.headers['content-security-policy']).toBeDefined();
    for (const sink of ['innerHTML', 'outerHTML', 'insertAdjacentHTML', 'document.write', 'eval(', 'new Function', 'setTimeout(\'', 'srcdoc', 'createContextualFragment', 'DOMParser']) {
      expect(script.body, sink).not.toContain(sink);
    }
    expect(script.body).toContain('textContent');
  });

  it('only links to https URLs from business messages', async () => {
    expect((await get('/app.js')).body).toContain("content.url.startsWith('https://')");
  });

  it('serves its stylesheet from a file', async () => {
    const style = await get('/app.css');
    expect(style.statusCode).toBe(200);
    expect(style.headers['content-type']).toMatch(/^text\/css/);
  });

  it('hands customer text back to the page as JSON data, unaltered', async () => {
    const hostile = '<img src=x onerror=alert(1)>';
    await test.emulator.say({ from: '4915112345678', name: '<b>Eve</b>', text: hostile });
    const view = await test.control('GET', '/sandbox/conversations/4915112345678');
    expect(view.body).toMatchObject({ name: '<b>Eve</b>', messages: [{ content: { kind: 'text', text: hostile } }] });
  });
});

describe('control routes', () => {
  const routes: ['GET' | 'POST' | 'DELETE', string, unknown][] = [
    ['GET', '/sandbox/info', undefined],
    ['POST', '/sandbox/say', { from: '4915112345678', text: 'hi' }],
    ['GET', '/sandbox/conversations/4915112345678', undefined],
    ['GET', '/sandbox/messages', undefined],
    ['POST', '/sandbox/failures', { mode: 'response', code: 1 }],
    ['GET', '/sandbox/failures', undefined],
    ['DELETE', '/sandbox/failures', undefined],
    ['POST', '/sandbox/templates/status', { name: 'hello_world', language: 'en_US', status: 'PAUSED' }],
    ['GET', '/sandbox/deliveries', undefined],
  ];

  it.each(routes)('%s %s refuses a missing, wrong or Graph token and acts on nothing', async (method, path, payload) => {
    const before = { sent: test.emulator.sentMessages().length, stats: test.emulator.deliveryStats().attempts };
    for (const token of [null, 'wrong-token', test.emulator.accessToken, `${test.emulator.controlToken}x`]) {
      const answer = await test.control(method, path, payload, token);
      expect(answer.status).toBe(401);
      expect(JSON.stringify(answer.body)).not.toContain(test.emulator.controlToken);
    }
    expect(test.emulator.deliveryStats().attempts).toBe(before.stats);
    expect(test.emulator.sentMessages()).toHaveLength(before.sent);
  });

  it('refuses the control token in the query string', async () => {
    const response = await test.emulator.app.inject({ method: 'GET', url: `/sandbox/info?token=${test.emulator.controlToken}` });
    expect(response.statusCode).toBe(401);
  });

  it('answers with the token, and never lets responses be cached', async () => {
    const answer = await test.emulator.app.inject({ method: 'GET', url: '/sandbox/info', headers: { authorization: `Bearer ${test.emulator.controlToken}` } });
    expect(answer.statusCode).toBe(200);
    expect(answer.headers['cache-control']).toBe('no-store');
    expect(answer.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('generates a different control token for each emulator', async () => {
    const other = await createTestEmulator();
    try {
      expect(other.emulator.controlToken).not.toBe(test.emulator.controlToken);
      expect(Buffer.from(other.emulator.controlToken, 'base64url')).toHaveLength(32);
      expect((await other.control('GET', '/sandbox/info', undefined, test.emulator.controlToken)).status).toBe(401);
    } finally {
      await other.emulator.close();
    }
  });
});
