import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';

/**
 * The dashboard's policy: scripts and styles only from our own origin (no inline script, no eval),
 * Trusted Types enforced so no string can reach an HTML sink, and nothing may frame the page.
 * `img-src data:` is for the TOTP enrolment QR code, drawn in the browser.
 */
export const DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "require-trusted-types-for 'script'",
  "trusted-types 'none'",
].join('; ');

/**
 * The dashboard's client-side pages (web/src/app.tsx): these paths answer with the page; every
 * other path keeps the server's own 404, so an unknown URL is never mistaken for a page.
 */
export const DASHBOARD_PAGES = ['/sign-in', '/setup', '/inbox', '/inbox/:conversationId', '/users', '/api-keys', '/audit', '/settings', '/account'] as const;

/** `<package root>/dist/web`, where `vite build web` writes the dashboard, from `src/http` (tsx, tests) or `dist/http` (built). */
export function defaultDashboardDirectory(): string {
  let directory = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(directory, 'package.json'))) {
    const parent = dirname(directory);
    if (parent === directory) break;
    directory = parent;
  }
  return join(directory, 'dist', 'web');
}

/**
 * Serves the dashboard (web/, built by Vite) at `/`: hashed assets cached for a year, the page
 * itself never cached, each client-side page answered with the page, all under DASHBOARD_CSP.
 * Without a build, `/` explains how to make one instead of failing obscurely.
 */
export async function registerDashboard(app: FastifyInstance, { directory = defaultDashboardDirectory() }: { directory?: string } = {}): Promise<void> {
  app.addHook('onSend', async (_request, reply) => {
    reply.header('content-security-policy', DASHBOARD_CSP);
  });
  const indexPath = join(directory, 'index.html');
  const page = existsSync(indexPath) ? readFileSync(indexPath) : null;
  if (page) {
    await app.register(fastifyStatic, {
      root: directory,
      prefix: '/',
      // Only the files present at start are routes; everything else falls to the page below.
      wildcard: false,
      index: false,
      serveDotFiles: false,
      cacheControl: false,
      setHeaders: (response, filePath) => {
        const isHashedAsset = filePath.startsWith(join(directory, 'assets'));
        response.setHeader('cache-control', isHashedAsset ? 'public, max-age=31536000, immutable' : 'no-cache');
      },
    });
  }
  const sendPage = (reply: FastifyReply) => {
    if (!page) {
      return reply
        .code(503)
        .header('content-type', 'text/plain; charset=utf-8')
        .header('cache-control', 'no-store')
        .send('The dashboard has not been built. Run `npm run build` (it writes dist/web), then restart Rampart.\n');
    }
    return reply.header('content-type', 'text/html; charset=utf-8').header('cache-control', 'no-store').send(page);
  };
  for (const path of ['/', ...DASHBOARD_PAGES]) app.get(path, async (_request, reply) => sendPage(reply));
}
