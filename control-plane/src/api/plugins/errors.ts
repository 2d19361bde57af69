/**
 * The error shape everywhere (CONTRACT §3): one error handler and one not-found handler for the
 * whole app. A `NotLeaderError` from any route is where forwarding happens: the request is sent on
 * to the leader, unless it was forwarded here already.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { NotLeaderError } from '../../coordinator/service';
import { TremorError } from '../../errors';
import type { ApiInstance, PluginOptions } from '../deps';
import { toTremorError } from '../error-mapping';
import { forwardToLeader, wasForwarded, type ForwardContext } from '../forward';
import { globalPlugin } from '../global-plugin';

export const errorsPlugin = globalPlugin(
  (app: ApiInstance, { deps }: PluginOptions, done: (err?: Error) => void) => {
    const forwarding: ForwardContext = {
      nodeId: deps.service.nodeId,
      forward: deps.forward,
      timeoutMs: deps.forwardTimeoutMs,
    };

    app.setErrorHandler(async (err: unknown, request, reply) => {
      let failure = err;
      if (err instanceof NotLeaderError && err.leader.api !== null && !wasForwarded(request)) {
        try {
          return await forwardToLeader(
            forwarding,
            { id: err.leader.id, api: err.leader.api },
            request,
            reply,
          );
        } catch (forwardErr) {
          failure = forwardErr;
        }
      }
      return sendError(request, reply, toTremorError(failure, request), failure);
    });

    app.setNotFoundHandler((request, reply) =>
      sendError(
        request,
        reply,
        new TremorError('TREMOR_ROUTE_NOT_FOUND', `no route ${request.method} ${request.url}`),
      ),
    );
    done();
  },
);

function sendError(
  request: FastifyRequest,
  reply: FastifyReply,
  error: TremorError,
  cause?: unknown,
): FastifyReply {
  if (error.code === 'TREMOR_INTERNAL') {
    request.log.error({ err: cause }, 'request failed unexpectedly');
  } else if (error.status >= 500) {
    request.log.warn({ code: error.code, reason: error.message }, 'request not served');
  }
  reply.code(error.status);
  if (error.status === 503) reply.header('retry-after', String(error.retryAfterSeconds ?? 1));
  if (error.status === 401) reply.header('www-authenticate', 'Bearer');
  return reply.send(error.toBody());
}
