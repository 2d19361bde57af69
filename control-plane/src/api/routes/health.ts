/** Probes; open even when the API needs a token (plugins/auth.ts). */
import { Type } from '@fastify/type-provider-typebox';
import { TremorError } from '../../errors';
import type { ApiInstance, PluginOptions } from '../deps';
import { errorResponses } from '../schemas';

const Probe = Type.Object({ status: Type.String() });

export function healthRoutes(
  app: ApiInstance,
  { deps }: PluginOptions,
  done: (err?: Error) => void,
): void {
  app.get(
    '/health/live',
    {
      schema: {
        tags: ['health'],
        security: [],
        summary: 'The process runs',
        response: { 200: Probe, ...errorResponses },
      },
    },
    () => ({ status: 'live' }),
  );

  app.get(
    '/health/ready',
    {
      schema: {
        tags: ['health'],
        security: [],
        summary: 'The node can serve: a coordinator knows a leader',
        response: { 200: Probe, ...errorResponses },
      },
    },
    () => {
      const status = deps.service.status();
      if (!status.ready) {
        throw new TremorError('TREMOR_NOT_READY', 'no Raft leader is known yet', [
          { nodeId: status.nodeId, leader: status.leader },
        ]);
      }
      const reason = deps.notReadyBecause?.() ?? null;
      if (reason !== null) {
        throw new TremorError('TREMOR_NOT_READY', reason, [{ nodeId: status.nodeId }]);
      }
      return { status: 'ready' };
    },
  );
  done();
}
