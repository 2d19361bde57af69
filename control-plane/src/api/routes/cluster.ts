/**
 * The cluster as this node sees it, and the operator's changes to it. The reads answer from this
 * node's applied state without a round to the leader: an operator looking at a sick cluster wants
 * every node's own view, and an answer even while there is no leader.
 */
import { Type } from '@fastify/type-provider-typebox';
import { COMMAND_VERSION } from '../../cluster-state/commands';
import { listVnodes, listWorkers } from '../../cluster-state/queries';
import type { ReadonlyClusterState, WorkerId } from '../../cluster-state/state';
import { TremorError } from '../../errors';
import { formatClusterAddress, parseClusterAddress } from '../../transport/address';
import type { ApiInstance, PluginOptions } from '../deps';
import { commit } from '../propose';
import { errorResponses, nullable } from '../schemas';

const WorkerState = Type.Union([
  Type.Literal('alive'),
  Type.Literal('suspect'),
  Type.Literal('dead'),
  Type.Literal('draining'),
  Type.Literal('left'),
]);

const ClusterView = Type.Object({
  name: nullable(Type.String({ description: 'null until the cluster is bootstrapped' })),
  vnodes: Type.Integer({ description: 'vnode count' }),
  leader: nullable(Type.String()),
  term: Type.Integer(),
  coordinators: Type.Array(
    Type.Object({
      id: Type.String(),
      address: nullable(Type.String()),
      api: nullable(Type.String()),
      role: Type.Union([
        Type.Literal('leader'),
        Type.Literal('follower'),
        Type.Literal('candidate'),
        Type.Literal('learner'),
        Type.Literal('unknown'),
      ]),
      voter: Type.Boolean(),
      reachable: Type.Boolean(),
    }),
  ),
  workers: Type.Array(
    Type.Object({
      id: Type.String(),
      api: Type.String(),
      state: WorkerState,
      vnodes: Type.Array(Type.Integer()),
    }),
  ),
});

const VnodeView = Type.Array(
  Type.Object({
    vnode: Type.Integer(),
    owner: nullable(Type.String({ description: 'null while unassigned' })),
    epoch: Type.Integer(),
    backlog: nullable(
      Type.Integer({
        description:
          "events waiting in the vnode's streams, as its owner last reported; null when unknown here (no owner, or this node is not the leader, which receives the reports)",
      }),
    ),
  }),
);

const IdParams = Type.Object({ id: Type.String({ minLength: 1 }) });

const Accepted = { 202: Type.Object({ id: Type.String() }), ...errorResponses };

export function clusterRoutes(
  app: ApiInstance,
  { deps }: PluginOptions,
  done: (err?: Error) => void,
): void {
  const { service } = deps;

  app.get(
    '/v1/cluster',
    {
      schema: {
        tags: ['cluster'],
        summary: 'Coordinators, workers and their vnodes, as this node sees them',
        response: { 200: ClusterView, ...errorResponses },
      },
    },
    () => {
      const status = service.status();
      const state = service.state();
      const owned = vnodesByOwner(state);
      return {
        name: state.name,
        vnodes: state.vnodeCount,
        leader: status.leader,
        term: status.term,
        coordinators: service.members(),
        workers: listWorkers(state).map((w) => ({
          id: w.id,
          api: w.api,
          state: w.state,
          vnodes: owned.get(w.id) ?? [],
        })),
      };
    },
  );

  app.get(
    '/v1/cluster/vnodes',
    {
      schema: {
        tags: ['cluster'],
        summary: 'Owner and epoch of every vnode',
        response: { 200: VnodeView, ...errorResponses },
      },
    },
    () => {
      const reports = service.workerReports();
      return listVnodes(service.state()).map((v) => ({
        vnode: v.vnode,
        owner: v.owner,
        epoch: v.epoch,
        backlog: v.owner === null ? null : (reports.get(v.owner)?.backlog[String(v.vnode)] ?? null),
      }));
    },
  );

  app.post(
    '/v1/cluster/workers/:id/drain',
    {
      schema: {
        tags: ['cluster'],
        summary: "Hand the worker's vnodes to others, then mark it left",
        params: IdParams,
        response: {
          202: Type.Object({ id: Type.String(), state: WorkerState }),
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      // Placement moves a draining worker's vnodes away and then lets it leave.
      const { worker } = await commit(service, {
        v: COMMAND_VERSION,
        kind: 'worker.set-state',
        id: request.params.id,
        state: 'draining',
      });
      return reply.code(202).send({ id: worker.id, state: worker.state });
    },
  );

  app.post(
    '/v1/cluster/coordinators',
    {
      schema: {
        tags: ['cluster'],
        summary: 'Add a coordinator: caught up as a non-voter, then promoted',
        body: Type.Object(
          {
            address: Type.String({
              minLength: 1,
              description: 'cluster address host[:port] of the new coordinator',
            }),
          },
          { additionalProperties: false },
        ),
        response: Accepted,
      },
    },
    async (request, reply) => {
      let address: string;
      try {
        address = formatClusterAddress(parseClusterAddress(request.body.address));
      } catch (err) {
        const message = (err as Error).message;
        throw new TremorError('TREMOR_BAD_REQUEST', message, [{ path: 'body/address', message }]);
      }
      const { id } = await service.addCoordinator(address);
      return reply.code(202).send({ id });
    },
  );

  app.delete(
    '/v1/cluster/coordinators/:id',
    {
      schema: {
        tags: ['cluster'],
        summary: 'Remove a coordinator',
        params: IdParams,
        response: Accepted,
      },
    },
    async (request, reply) => {
      await service.removeCoordinator(request.params.id);
      return reply.code(202).send({ id: request.params.id });
    },
  );

  app.post(
    '/v1/cluster/leader',
    {
      schema: {
        tags: ['cluster'],
        summary: 'Transfer leadership (to the most caught-up voter when `to` is left out)',
        body: nullable(
          Type.Object(
            { to: Type.Optional(Type.String({ minLength: 1 })) },
            { additionalProperties: false },
          ),
        ),
        response: { 202: Type.Object({ to: Type.String() }), ...errorResponses },
      },
    },
    async (request, reply) => {
      const result = await service.transferLeader(request.body?.to ?? null);
      return reply.code(202).send({ to: result.to });
    },
  );
  done();
}

function vnodesByOwner(state: ReadonlyClusterState): Map<WorkerId, number[]> {
  const owned = new Map<WorkerId, number[]>();
  state.vnodes.forEach((assignment, vnode) => {
    if (assignment.owner === null) return;
    const list = owned.get(assignment.owner);
    if (list === undefined) owned.set(assignment.owner, [vnode]);
    else list.push(vnode);
  });
  return owned;
}
