import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp } from '../../src/http/create-app.js';
import { DASHBOARD_CSP, DASHBOARD_PAGES, defaultDashboardDirectory, registerDashboard } from '../../src/http/dashboard-routes.js';
import { createLogger } from '../../src/logger.js';
import { createSqliteDatabase, makeDataDir } from '../support/databases.js';
import { buildTestConfig, createTestSecrets } from '../support/test-gateway.js';

const PAGE = '<!doctype html><html><head><script type="module" src="/assets/index-abc123.js"></script></head><body><div id="root"></div></body></html>';

describe('the dashboard at /', () => {
  const cleanups: (() => Promise<unknown> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function startApp(directory: string): Promise<FastifyInstance> {
    const database = await createSqliteDatabase();
    cleanups.push(() => database.drop());
    const config = buildTestConfig(database, createTestSecrets(), { RAMPART_LOG_LEVEL: 'silent' });
    const logger = createLogger('silent', new Writable({ write: (_chunk, _encoding, done) => done() }));
    const app = await createApp({ config, logger, readinessChecks: [], registerRoutes: async (root) => {
        await root.register(registerDashboard, { directory });
      },
    });
    cleanups.push(() => app.close());
    return app;
  }

  function builtDashboard(): string {
    const directory = makeDataDir('rampart-web-');
    cleanups.push(() => rmSync(directory, { recursive: true, force: true }));
    mkdirSync(join(directory, 'assets'));
    writeFileSync(join(directory, 'index.html'), PAGE);
    writeFileSync(join(directory, 'assets', 'index-abc123.js'), 'console.log("dashboard")');
    writeFileSync(join(directory, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    return directory;
  }

  it('serves the page at / and at each client-side page, uncached, under the strict policy', async () => {
    const app = await startApp(builtDashboard());
    for (const url of ['/', '/inbox', '/inbox/5d7c1c7e-0000-4000-8000-000000000000', '/setup', '/audit?before=10', '/account']) {
      const response = await app.inject({ method: 'GET', url });
      expect(response.statusCode, url).toBe(200);
      expect(response.body).toBe(PAGE);
      expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(response.headers['cache-control']).toBe('no-store');
      expect(response.headers['content-security-policy']).toBe(DASHBOARD_CSP);
      expect(response.headers['x-frame-options']).toBe('SAMEORIGIN');
    }
  });

  it('forbids inline script, eval, HTML sinks and framing', () => {
    expect(DASHBOARD_CSP).toContain("script-src 'self'");
    expect(DASHBOARD_CSP).not.toMatch(/unsafe-(inline|eval)/);
    expect(DASHBOARD_CSP).toContain("require-trusted-types-for 'script'");
    expect(DASHBOARD_CSP).toContain("frame-ancestors 'none'");
  });

  it('knows every page the dashboard router has', () => {
    const router = readFileSync(join(defaultDashboardDirectory(), '..', '..', 'web', 'src', 'app.tsx'), 'utf8');
    const routed = [...router.matchAll(/<Route path="([^"*]+)"/g)].map((match) => `/${match[1]!.replace(/^\//, '')}`);
    expect(routed.length).toBeGreaterThan(5);
    expect([...routed].sort()).toEqual([...DASHBOARD_PAGES].sort());
  });

  it('caches hashed assets for a year and other files only with revalidation', async () => {
    const app = await startApp(builtDashboard());
    const script = await app.inject({ method: 'GET', url: '/assets/index-abc123.js' });
    expect(script.statusCode).toBe(200);
    expect(script.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(script.headers['content-security-policy']).toBe(DASHBOARD_CSP);
    const icon = await app.inject({ method: 'GET', url: '/favicon.svg' });
    expect(icon.statusCode).toBe(200);
    expect(icon.headers['cache-control']).toBe('no-cache');
  });

  it('answers only its own pages: unknown paths, API and asset misses stay 404s', async () => {
    const app = await startApp(builtDashboard());
    for (const url of ['/api/v1/nothing-here', '/webhook/x', '/assets/missing.js', '/secrets.json', '/../package.json', '/%2e%2e/package.json', '/no-such-page', '/inbox/a/b']) {
      const response = await app.inject({ method: 'GET', url });
      expect(response.statusCode, url).toBe(404);
      expect(response.body).not.toContain('<div id="root">');
    }
  });

  it('explains how to build the dashboard when it has not been built', async () => {
    const app = await startApp(join(makeDataDir('rampart-web-'), 'missing'));
    const response = await app.inject({ method: 'GET', url: '/inbox' });
    expect(response.statusCode).toBe(503);
    expect(response.body).toContain('npm run build');
  });
});
