/**
 * Flows: submitted as JSON or YAML, validated in full (every problem listed), stored in the
 * replicated state. Reads are linearizable (a follower forwards them) unless `?stale=true`, so a
 * client that created a flow through any node finds it there next.
 *
 * `PUT /v1/flows/:id`: the body's `id` may be left out and is then taken from the path; when
 * given it must equal the path's, else the flow is invalid (problem at `id`).
 */
import { Type, TypeBoxValidatorCompiler, type TSchema } from '@fastify/type-provider-typebox';
import type { FastifySchemaCompiler } from 'fastify';
import type { FastifyRouteSchemaDef } from 'fastify/types/schema';
import { COMMAND_VERSION } from '../../cluster-state/commands';
import type { JsonObject } from '../../cluster-state/json';
import { getFlow, listFlows, listWorkers } from '../../cluster-state/queries';
import type { Flow, ReadonlyClusterState } from '../../cluster-state/state';
import { FLOW_LIMITS, FlowSpecSchema, validateFlowSpec, type FlowProblem } from '../../flow-spec';
import { TremorError } from '../../errors';
import type { ApiInstance, PluginOptions } from '../deps';
import type { WorkerReport } from '../../coordinator/worker-rpc';
import { nestingProblem } from '../json-value';
import { addFlowDocumentParsers, YAML_TYPES } from '../plugins/content-parsers';
import { commit, readState } from '../propose';
import { errorResponses, FlowIdParams, StaleQuery } from '../schemas';

const FlowStatus = Type.Union([Type.Literal('running'), Type.Literal('paused')]);

const FlowSummary = Type.Object({
  id: Type.String(),
  status: FlowStatus,
  revision: Type.Integer(),
});

const FlowView = Type.Object({
  id: Type.String(),
  spec: Type.Object({}, { additionalProperties: true, description: 'the flow as stored' }),
  status: FlowStatus,
  revision: Type.Integer({ description: "revision of the flow's last change" }),
  deployment: Type.Object({
    workersReady: Type.Integer(),
    workersTotal: Type.Integer({ description: 'alive workers' }),
  }),
});

/**
 * Flow bodies are checked by `validateFlowSpec`, which lists every problem under
 * TREMOR_FLOW_INVALID; the schema is attached for the OpenAPI document only.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- fastify types the option per route schema
const documentedBodyOnly: FastifySchemaCompiler<any> = (route) =>
  route.httpPart === 'body'
    ? () => true
    : TypeBoxValidatorCompiler(route as FastifyRouteSchemaDef<TSchema>);

const FLOW_BODY_TYPES = ['application/json', ...YAML_TYPES];

/**
 * Alive workers, and those of them whose heartbeat says they run this revision of the flow (the
 * leader's view: a stale read on a follower counts none ready).
 */
function deployment(
  flow: Flow,
  state: ReadonlyClusterState,
  reports: ReadonlyMap<string, WorkerReport>,
): { workersReady: number; workersTotal: number } {
  const alive = listWorkers(state).filter((w) => w.state === 'alive');
  const ready = alive.filter((w) => reports.get(w.id)?.flows[flow.id] === flow.revision);
  return { workersReady: ready.length, workersTotal: alive.length };
}

export function flowRoutes(
  app: ApiInstance,
  { deps }: PluginOptions,
  done: (err?: Error) => void,
): void {
  const { service } = deps;
  addFlowDocumentParsers(app);
  // A flow document has its own, smaller bound (it is replicated and run everywhere).
  const bodyLimit = Math.min(deps.bodyLimit, FLOW_LIMITS.maxDocumentBytes);

  const view = (flow: Flow, state: ReadonlyClusterState) => ({
    id: flow.id,
    spec: flow.spec,
    status: flow.status,
    revision: flow.revision,
    deployment: deployment(flow, state, service.workerReports()),
  });

  app.get(
    '/v1/flows',
    {
      schema: {
        tags: ['flows'],
        summary: 'Every flow, by id',
        querystring: StaleQuery,
        response: { 200: Type.Array(FlowSummary), ...errorResponses },
      },
    },
    async (request) => {
      const state = await readState(service, request.query.stale);
      return listFlows(state).map((f) => ({ id: f.id, status: f.status, revision: f.revision }));
    },
  );

  app.post(
    '/v1/flows',
    {
      validatorCompiler: documentedBodyOnly,
      bodyLimit,
      schema: {
        tags: ['flows'],
        summary: 'Create a flow; 409 if the id exists',
        consumes: FLOW_BODY_TYPES,
        body: FlowSpecSchema,
        response: { 201: FlowView, ...errorResponses },
      },
    },
    async (request, reply) => {
      const spec = validFlow(request.body, null);
      const { flow } = await commit(service, {
        v: COMMAND_VERSION,
        kind: 'flow.put',
        id: spec.id,
        spec: spec.value,
        mode: 'create',
      });
      return reply
        .code(201)
        .header('location', `/v1/flows/${flow.id}`)
        .send(view(flow, service.state()));
    },
  );

  app.put(
    '/v1/flows/:id',
    {
      validatorCompiler: documentedBodyOnly,
      bodyLimit,
      schema: {
        tags: ['flows'],
        summary:
          "Create or replace a flow: 201 when created, 200 when replaced. The body's id may be left out (the path's is used); if given it must equal the path's",
        consumes: FLOW_BODY_TYPES,
        params: FlowIdParams,
        body: FlowSpecSchema,
        response: { 200: FlowView, 201: FlowView, ...errorResponses },
      },
    },
    async (request, reply) => {
      const spec = validFlow(request.body, request.params.id);
      const { flow, created } = await commit(service, {
        v: COMMAND_VERSION,
        kind: 'flow.put',
        id: spec.id,
        spec: spec.value,
        mode: 'upsert',
      });
      if (created) reply.header('location', `/v1/flows/${flow.id}`);
      return reply.code(created ? 201 : 200).send(view(flow, service.state()));
    },
  );

  app.get(
    '/v1/flows/:id',
    {
      schema: {
        tags: ['flows'],
        summary: 'A flow, its status and its deployment',
        params: FlowIdParams,
        querystring: StaleQuery,
        response: { 200: FlowView, ...errorResponses },
      },
    },
    async (request) => {
      const state = await readState(service, request.query.stale);
      const flow = getFlow(state, request.params.id);
      if (flow === undefined) throw notFound(request.params.id);
      return view(flow, state);
    },
  );

  app.patch(
    '/v1/flows/:id',
    {
      schema: {
        tags: ['flows'],
        summary: 'Pause (events keep being accepted and wait) or resume a flow',
        params: FlowIdParams,
        body: Type.Object({ status: FlowStatus }, { additionalProperties: false }),
        response: { 200: FlowView, ...errorResponses },
      },
    },
    async (request) => {
      const { flow } = await commit(service, {
        v: COMMAND_VERSION,
        kind: 'flow.set-status',
        id: request.params.id,
        status: request.body.status,
      });
      return view(flow, service.state());
    },
  );

  app.delete(
    '/v1/flows/:id',
    {
      schema: {
        tags: ['flows'],
        summary: 'Delete a flow; 404 when there is none',
        params: FlowIdParams,
        response: { 204: Type.Null(), ...errorResponses },
      },
    },
    async (request, reply) => {
      await commit(service, { v: COMMAND_VERSION, kind: 'flow.delete', id: request.params.id });
      return reply.code(204).send(null);
    },
  );
  done();
}

/**
 * The flow to store, or TREMOR_FLOW_INVALID with every problem. `pathId` is the id of
 * `PUT /v1/flows/:id`: filled in when the body has none, a problem when it differs.
 */
function validFlow(body: unknown, pathId: string | null): { id: string; value: JsonObject } {
  const problems: FlowProblem[] = [];
  let input = body;
  if (pathId !== null && isObject(body)) {
    if (body.id === undefined) input = { ...body, id: pathId };
    else if (body.id !== pathId) {
      problems.push({
        path: 'id',
        message: `id must equal the id in the path (${JSON.stringify(pathId)}), not ${JSON.stringify(body.id)}`,
      });
    }
  }
  const parsed = validateFlowSpec(input);
  if (!parsed.ok) problems.push(...parsed.problems);
  const depth = nestingProblem(input);
  if (depth !== null) problems.push({ path: '', message: `the flow ${depth}` });
  const first = problems[0];
  if (!parsed.ok || first !== undefined) {
    throw new TremorError('TREMOR_FLOW_INVALID', summary(problems), problems);
  }
  // The stored spec is plain JSON: whatever the validator hands back, nothing undefined survives.
  const value = JSON.parse(JSON.stringify(parsed.value)) as JsonObject;
  return { id: value.id as string, value };
}

function summary(problems: readonly FlowProblem[]): string {
  const first = problems[0];
  if (first === undefined) return 'the flow is invalid';
  // Problem messages name their path themselves (flow-spec/problems.ts).
  return problems.length === 1
    ? first.message
    : `${first.message} (and ${problems.length - 1} more problems)`;
}

function notFound(id: string): TremorError {
  return new TremorError('TREMOR_FLOW_NOT_FOUND', `no flow ${id}`, [{ id }]);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
