import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { createAccessGuard } from '../identity/access-guard.js';
import type { SessionGuardDependencies } from '../identity/access-guard.js';
import type { ApiKeyPrincipal, ApiKeyService } from '../identity/api-key-service.js';
import { findAccessProblem } from '../identity/route-access.js';
import type { RouteAccess } from '../identity/route-access.js';
import { SESSION_COOKIE } from '../identity/session-cookie.js';
import type { SignedInUser } from '../identity/signed-in-user.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may call this route (src/identity/route-access.ts). Every `/api/v1` route must declare it. */
    access?: RouteAccess;
  }
  interface FastifyRequest {
    /** The API key that authenticated this request, when one did (the business's services). */
    principal: ApiKeyPrincipal | null;
    /** The signed-in user, when a session cookie authenticated this request (the dashboard). */
    user: SignedInUser | null;
  }
}

export const API_PREFIX = '/api/v1';
const API_BODY_LIMIT_BYTES = 512 * 1024;
const DOCS_CSP =
  "default-src 'self'; base-uri 'self'; font-src 'self' data:; frame-ancestors 'none'; img-src 'self' data:; object-src 'none'; script-src 'self'; script-src-attr 'none'; style-src 'self'; form-action 'none'";

export interface RegisterApiOptions {
  apiKeys: Pick<ApiKeyService, 'authenticate'>;
  /** Sessions, MFA and roles (the identity slice's `guard`); without it only API keys authenticate. */
  identity?: SessionGuardDependencies;
  version: string;
  /** Slices add their `/api/v1` routes here (zod schemas: they validate and they document). */
  registerRoutes(api: FastifyInstance): Promise<void>;
}

/**
 * The API for the business's services (API keys) and the dashboard (session cookies): JSON bodies
 * parsed only here, every route validated by its zod schema and described in the OpenAPI document
 * at /api/docs, and every `/api/v1` route behind the one access guard, applying the `config.access`
 * the route declares. A route that declares none fails to register, so nothing is reachable by
 * accident.
 */
export async function registerApi(app: FastifyInstance, options: RegisterApiOptions): Promise<void> {
  await app.register(async (api) => {
    api.setValidatorCompiler(validatorCompiler);
    api.setSerializerCompiler(serializerCompiler);
    api.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: API_BODY_LIMIT_BYTES }, api.getDefaultJsonParser('error', 'error'));
    api.addHook('onRoute', (route) => {
      // Outside /api/v1 a route may declare access (GET /metrics); when it does, it is checked as strictly.
      if (!route.url.startsWith(API_PREFIX) && route.config?.access === undefined) return;
      const problem = findAccessProblem(route.config?.access);
      if (problem) throw new Error(`route ${String(route.method)} ${route.url} ${problem}`);
      // The OpenAPI document says which credentials a route takes.
      if (route.schema) route.schema = { ...route.schema, security: describeSecurity(route.config!.access!) };
    });
    await api.register(swagger, {
      openapi: {
        info: { title: 'Rampart API', version: options.version, description: 'Send WhatsApp messages through Rampart and follow their status.' },
        components: {
          securitySchemes: {
            apiKey: { type: 'http', scheme: 'bearer', description: 'An API key (rmp_…) from `rampart keys create-api-key`.' },
            session: { type: 'apiKey', in: 'cookie', name: SESSION_COOKIE, description: 'A dashboard session (POST /api/v1/auth/login, then a second factor). State-changing requests also need the x-csrf-token header.' },
          },
        },
        security: [{ apiKey: [] }],
      },
      transform: jsonSchemaTransform,
    });
    await api.register(swaggerUi, {
      routePrefix: '/api/docs',
      // No third-party hosts: Swagger UI's default validator badge would send the spec's URL to swagger.io.
      uiConfig: { deepLinking: false, validatorUrl: null },
      staticCSP: true,
      transformStaticCSP: () => DOCS_CSP,
    });
    api.decorateRequest('principal', null);
    api.decorateRequest('user', null);
    const guard = createAccessGuard({ apiKeys: options.apiKeys, identity: options.identity ?? null });
    api.addHook('onRequest', async (request, reply) => {
      const access = request.routeOptions.config?.access;
      // The docs declare nothing; every /api/v1 route (and /metrics) was checked at registration.
      if (access === undefined) return;
      await guard.authorize(request, reply, access);
    });
    await options.registerRoutes(api);
  });
}

function describeSecurity(access: RouteAccess): Record<string, string[]>[] {
  if (access === 'public') return [];
  const schemes: Record<string, string[]>[] = [];
  if (access.apiKeyScope) schemes.push({ apiKey: [access.apiKeyScope] });
  if (access.permission || access.signedIn) schemes.push({ session: access.permission ? [access.permission] : [] });
  return schemes;
}

