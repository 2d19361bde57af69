/**
 * Ingest: `POST /v1/flows/:flow/sources/:source/events`, served by workers (and standalone). A
 * coordinator answers 421 before reading the body: the client picked the wrong node, and the
 * events must go to a worker. Ingest is never forwarded.
 */
import { Type } from '@fastify/type-provider-typebox';
import { TremorError } from '../../errors';
import type { ApiInstance, IngestEvent, PluginOptions } from '../deps';
import { addNdjsonParser, NDJSON_TYPE } from '../plugins/content-parsers';
import { errorResponses, FLOW_ID_PATTERN } from '../schemas';

const Event = Type.Object({}, { additionalProperties: true, description: 'one event' });

export function ingestRoutes(
  app: ApiInstance,
  { deps }: PluginOptions,
  done: (err?: Error) => void,
): void {
  addNdjsonParser(app);
  const sink = deps.nodeRoles.includes('worker') ? deps.ingest : undefined;

  app.post(
    '/v1/flows/:flow/sources/:source/events',
    {
      schema: {
        tags: ['ingest'],
        summary:
          'Append events to a source of a flow: 202 once all are durable, otherwise none is accepted',
        consumes: ['application/json', NDJSON_TYPE],
        params: Type.Object({
          flow: Type.String({ pattern: FLOW_ID_PATTERN }),
          source: Type.String({ pattern: FLOW_ID_PATTERN }),
        }),
        body: Type.Union([Event, Type.Array(Event)], {
          description: 'one JSON object, an array of objects, or NDJSON (one object per line)',
        }),
        response: { 202: Type.Object({ accepted: Type.Integer() }), ...errorResponses },
      },
      onRequest: (_request, _reply, next) => {
        if (sink !== undefined) {
          next();
          return;
        }
        next(
          new TremorError(
            'TREMOR_NOT_A_WORKER',
            deps.nodeRoles.includes('worker')
              ? 'this node does not accept events yet (its worker is not running)'
              : 'this node is a coordinator and runs no sources; send events to a worker',
          ),
        );
      },
    },
    async (request, reply) => {
      const events: readonly IngestEvent[] = Array.isArray(request.body)
        ? request.body
        : [request.body];
      const accepted = await (sink as NonNullable<typeof sink>).ingest(
        request.params.flow,
        request.params.source,
        events,
      );
      return reply.code(202).send({ accepted });
    },
  );
  done();
}
