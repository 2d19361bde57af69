/**
 * The OpenAPI document at `/documentation/json`, collected from the routes' TypeBox schemas.
 * Registered before the routes: @fastify/swagger sees the routes added after it.
 */
import swagger from '@fastify/swagger';
import type { ApiInstance, PluginOptions } from '../deps';
import { globalPlugin } from '../global-plugin';

export const swaggerPlugin = globalPlugin(async (app: ApiInstance, { deps }: PluginOptions) => {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Tremor cluster API',
        description: 'CONTRACT §3; error codes in docs/errors.md',
        version: deps.version,
      },
      components: {
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      },
      // Declared for every route; /health/* answers without it (see plugins/auth.ts).
      security: deps.apiToken === null ? [] : [{ bearer: [] }],
    },
  });

  app.get('/documentation/json', { schema: { hide: true } }, () => app.swagger());
});
