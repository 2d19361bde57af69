/**
 * `/metrics` in the Prometheus text format, from the process's registry, and the API's own
 * request metrics by route pattern (not raw URL, which would make one series per kv key).
 */
import { Type } from '@fastify/type-provider-typebox';
import { Counter, Histogram, type Registry } from 'prom-client';
import type { ApiInstance, PluginOptions } from '../deps';
import { globalPlugin } from '../global-plugin';
import { errorResponses } from '../schemas';

const LABELS = ['method', 'route', 'status'] as const;

export const metricsPlugin = globalPlugin(
  (app: ApiInstance, { deps }: PluginOptions, done: (err?: Error) => void) => {
    const registry = deps.metrics;
    const requests = counter(registry);
    const duration = histogram(registry);

    app.addHook('onResponse', (request, reply, next) => {
      const labels = {
        method: request.method,
        route: request.routeOptions.url ?? 'unmatched',
        status: String(reply.statusCode),
      };
      requests.inc(labels);
      duration.observe(labels, reply.elapsedTime / 1000);
      next();
    });

    app.get(
      '/metrics',
      {
        schema: {
          tags: ['node'],
          summary: 'Prometheus metrics of this node',
          produces: ['text/plain'],
          response: { 200: Type.String(), ...errorResponses },
        },
      },
      async (_request, reply) => {
        const text = await registry.metrics();
        return reply.header('content-type', registry.contentType).send(text);
      },
    );
    done();
  },
);

// One registry may serve several apps (tests, a standalone process restarting its API): the
// metrics are created once per registry.
function counter(registry: Registry): Counter<(typeof LABELS)[number]> {
  const name = 'tremor_http_requests_total';
  const existing = registry.getSingleMetric(name);
  if (existing !== undefined) return existing as Counter<(typeof LABELS)[number]>;
  return new Counter({
    name,
    help: 'HTTP API requests answered, by method, route pattern and status.',
    labelNames: LABELS,
    registers: [registry],
  });
}

function histogram(registry: Registry): Histogram<(typeof LABELS)[number]> {
  const name = 'tremor_http_request_duration_seconds';
  const existing = registry.getSingleMetric(name);
  if (existing !== undefined) return existing as Histogram<(typeof LABELS)[number]>;
  return new Histogram({
    name,
    help: 'HTTP API request duration in seconds, by method, route pattern and status.',
    labelNames: LABELS,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
}
