/** What this node is and runs. */
import { Type } from '@fastify/type-provider-typebox';
import type { ApiInstance, PluginOptions } from '../deps';
import { errorResponses, nullable } from '../schemas';

const Version = Type.Object({ version: Type.String() });

const Status = Type.Object({
  nodeId: Type.String(),
  roles: Type.Array(Type.Union([Type.Literal('coordinator'), Type.Literal('worker')])),
  clusterName: Type.String(),
  leader: nullable(Type.String()),
  term: Type.Integer(),
  appliedRevision: Type.Integer(),
  ready: Type.Boolean(),
});

export function statusRoutes(
  app: ApiInstance,
  { deps }: PluginOptions,
  done: (err?: Error) => void,
): void {
  app.get(
    '/v1/version',
    {
      schema: {
        tags: ['node'],
        summary: 'Release of this node',
        response: { 200: Version, ...errorResponses },
      },
    },
    () => ({ version: deps.version }),
  );

  app.get(
    '/v1/status',
    {
      schema: {
        tags: ['node'],
        summary: 'This node: identity, roles, leader as it sees it, applied revision',
        response: { 200: Status, ...errorResponses },
      },
    },
    // The roles are the process's (a standalone node is both), not only the coordinator's.
    () => {
      const status = deps.service.status();
      const ready = status.ready && (deps.notReadyBecause?.() ?? null) === null;
      return { ...status, roles: [...deps.nodeRoles], ready };
    },
  );
  done();
}
