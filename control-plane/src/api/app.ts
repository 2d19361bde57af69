/**
 * The HTTP API (CONTRACT §3) as a fastify app, built from its dependencies and not listening:
 * the caller listens, a test calls `inject()`.
 *
 * Order matters in one place: the cross-cutting plugins (error shape, body parsers, auth,
 * metrics, OpenAPI collection, leader header) come first so they apply to every route; each
 * group of routes is then an encapsulated plugin of its own.
 */
import { TypeBoxValidatorCompiler, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { IncomingMessage, ServerResponse } from 'node:http';
import Fastify, { LogController, type FastifyBaseLogger, type RawServerDefault } from 'fastify';
import {
  DEFAULT_BODY_LIMIT,
  DEFAULT_FORWARD_TIMEOUT_MS,
  type ApiDeps,
  type ApiInstance,
  type ResolvedDeps,
} from './deps';
import { fetchForwarder } from './forward';
import { authPlugin } from './plugins/auth';
import { jsonParserPlugin } from './plugins/content-parsers';
import { errorsPlugin } from './plugins/errors';
import { leaderHeaderPlugin } from './plugins/leader-header';
import { metricsPlugin } from './plugins/metrics';
import { swaggerPlugin } from './plugins/swagger';
import { clusterRoutes } from './routes/cluster';
import { flowRoutes } from './routes/flows';
import { healthRoutes } from './routes/health';
import { ingestRoutes } from './routes/ingest';
import { kvRoutes } from './routes/kv';
import { statusRoutes } from './routes/status';

export function buildApp(input: ApiDeps): ApiInstance {
  const deps: ResolvedDeps = {
    ...input,
    bodyLimit: input.bodyLimit ?? DEFAULT_BODY_LIMIT,
    forward: input.forward ?? fetchForwarder,
    forwardTimeoutMs: input.forwardTimeoutMs ?? DEFAULT_FORWARD_TIMEOUT_MS,
  };
  // The logger is typed as fastify's base logger: routes log through `request.log` only.
  const app = Fastify<RawServerDefault, IncomingMessage, ServerResponse, FastifyBaseLogger>({
    ...(deps.logger === false ? { logger: false } : { loggerInstance: deps.logger }),
    bodyLimit: deps.bodyLimit,
    // Two info lines per request cost a third of the write throughput (bench:control-plane);
    // requests are logged at debug instead, below.
    logController: new LogController({ disableRequestLogging: true }),
  }).withTypeProvider<TypeBoxTypeProvider>();
  app.addHook('onResponse', (request, reply, done) => {
    request.log.debug(
      { method: request.method, url: request.url, status: reply.statusCode },
      'request completed',
    );
    done();
  });
  // TypeBox's compiler, not Ajv's defaults: no coercion or stripping of request bodies (an
  // unknown field is an error), every problem reported; query strings are still converted.
  app.setValidatorCompiler(TypeBoxValidatorCompiler);

  const opts = { deps };
  void app.register(errorsPlugin, opts);
  void app.register(jsonParserPlugin, opts);
  void app.register(authPlugin, opts);
  // Before any route, /metrics included: it collects the routes registered after it.
  void app.register(swaggerPlugin, opts);
  void app.register(metricsPlugin, opts);
  void app.register(leaderHeaderPlugin, opts);

  void app.register(healthRoutes, opts);
  void app.register(statusRoutes, opts);
  void app.register(clusterRoutes, opts);
  void app.register(flowRoutes, opts);
  void app.register(ingestRoutes, opts);
  void app.register(kvRoutes, opts);
  return app;
}
