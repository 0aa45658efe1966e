import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { AppError } from '../errors.js';
import type { ApiKeyPrincipal, ApiKeyScope, ApiKeyService } from '../identity/api-key-service.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The scope an API key needs for this route. Every `/api/v1` route must declare one. */
    scope?: ApiKeyScope;
  }
  interface FastifyRequest {
    principal: ApiKeyPrincipal | null;
  }
}

export const API_PREFIX = '/api/v1';
const API_BODY_LIMIT_BYTES = 512 * 1024;
const DOCS_CSP =
  "default-src 'self'; base-uri 'self'; font-src 'self' data:; frame-ancestors 'none'; img-src 'self' data:; object-src 'none'; script-src 'self'; script-src-attr 'none'; style-src 'self'; form-action 'none'";

export interface RegisterApiOptions {
  apiKeys: ApiKeyService;
  version: string;
  /** Slices add their `/api/v1` routes here (zod schemas: they validate and they document). */
  registerRoutes(api: FastifyInstance): Promise<void>;
}

/**
 * The internal API for the business's services: JSON bodies parsed only here, every route
 * validated by its zod schema and described in the OpenAPI document at /api/docs, and every
 * `/api/v1` route behind an API key with the scope the route declares. A route that declares no
 * scope fails to register, so nothing is reachable by accident.
 */
export async function registerApi(app: FastifyInstance, options: RegisterApiOptions): Promise<void> {
  await app.register(async (api) => {
    api.setValidatorCompiler(validatorCompiler);
    api.setSerializerCompiler(serializerCompiler);
    api.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: API_BODY_LIMIT_BYTES }, api.getDefaultJsonParser('error', 'error'));
    api.addHook('onRoute', (route) => {
      if (route.url.startsWith(API_PREFIX) && !route.config?.scope) {
        throw new Error(`route ${String(route.method)} ${route.url} declares no scope; every API route must`);
      }
    });
    await api.register(swagger, {
      openapi: {
        info: { title: 'Rampart API', version: options.version, description: 'Send WhatsApp messages through Rampart and follow their status.' },
        components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'An API key (rmp_…) from `rampart keys create-api-key`.' } } },
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
    api.addHook('onRequest', async (request) => {
      const scope = request.routeOptions.config?.scope;
      if (!scope) return;
      request.principal = await authenticate(options.apiKeys, request);
      if (!request.principal.scopes.includes(scope)) throw new AppError('FORBIDDEN', `This API key lacks the ${scope} scope.`);
    });
    await options.registerRoutes(api);
  });
}

async function authenticate(apiKeys: ApiKeyService, request: FastifyRequest): Promise<ApiKeyPrincipal> {
  const header = request.headers.authorization;
  const match = typeof header === 'string' ? /^Bearer\s+(\S+)$/i.exec(header.trim()) : null;
  if (!match) throw Object.assign(new AppError('UNAUTHENTICATED', 'Send an API key as "Authorization: Bearer rmp_…".'), { isBearerChallenge: true });
  const principal = await apiKeys.authenticate(match[1]!);
  if (!principal) throw Object.assign(new AppError('UNAUTHENTICATED', 'The API key is unknown or revoked.'), { isBearerChallenge: true });
  return principal;
}
