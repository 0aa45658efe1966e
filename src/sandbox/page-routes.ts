import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';

/**
 * The customer-phone page. No inline script or style anywhere, so the policy can forbid them:
 * a message text that smuggles markup has nothing to run in, even if rendering were wrong.
 */
export const PAGE_CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

// The same relative path from src/sandbox (tsx) and dist/sandbox (built): the assets stay in src.
const pageDirectory = new URL('../../src/sandbox/page/', import.meta.url);

const assets = [
  { path: '/', file: 'index.html', type: 'text/html; charset=utf-8' },
  { path: '/app.js', file: 'app.js', type: 'text/javascript; charset=utf-8' },
  { path: '/app.css', file: 'app.css', type: 'text/css; charset=utf-8' },
] as const;

export async function registerPageRoutes(app: FastifyInstance): Promise<void> {
  app.addHook('onSend', async (_request, reply) => {
    reply.header('content-security-policy', PAGE_CONTENT_SECURITY_POLICY);
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
    reply.header('x-frame-options', 'DENY');
    reply.header('cache-control', 'no-store');
  });
  for (const asset of assets) {
    const content = readFileSync(new URL(asset.file, pageDirectory));
    app.get(asset.path, async (_request, reply) => reply.type(asset.type).send(content));
  }
}
