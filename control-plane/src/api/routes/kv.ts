/**
 * The replicated key-value store. Reads are linearizable (ReadIndex on the leader; a follower
 * forwards the request there) unless `?stale=true` asks for this node's applied copy.
 *
 * Keys are one path segment; a key holding `/` is sent percent-encoded (`a%2Fb`).
 * `DELETE` answers 204 whether or not the key existed: the client's intent, "absent", holds.
 */
import { Type } from '@fastify/type-provider-typebox';
import { COMMAND_VERSION } from '../../cluster-state/commands';
import { getKv } from '../../cluster-state/queries';
import { TremorError } from '../../errors';
import type { ApiInstance, PluginOptions } from '../deps';
import { asJson, nestingProblem } from '../json-value';
import { commit, readState } from '../propose';
import { errorResponses, JsonValueSchema, StaleQuery } from '../schemas';

const MAX_KEY_LENGTH = 1024;

const KeyParams = Type.Object({
  key: Type.String({ minLength: 1, maxLength: MAX_KEY_LENGTH }),
});

const KvEntry = Type.Object({
  key: Type.String(),
  value: JsonValueSchema,
  revision: Type.Integer({ description: 'Raft index of the write' }),
});

export function kvRoutes(
  app: ApiInstance,
  { deps }: PluginOptions,
  done: (err?: Error) => void,
): void {
  const { service } = deps;

  app.get(
    '/v1/kv/:key',
    {
      schema: {
        tags: ['kv'],
        summary: 'Read a key (linearizable unless stale=true)',
        params: KeyParams,
        querystring: StaleQuery,
        response: { 200: KvEntry, ...errorResponses },
      },
    },
    async (request) => {
      const { key } = request.params;
      const state = await readState(service, request.query.stale);
      const entry = getKv(state, key);
      if (entry === undefined) {
        throw new TremorError('TREMOR_KV_NOT_FOUND', `no key ${key}`, [{ key }]);
      }
      return entry;
    },
  );

  app.put(
    '/v1/kv/:key',
    {
      schema: {
        tags: ['kv'],
        summary: 'Write a key; the body is the JSON value',
        params: KeyParams,
        body: JsonValueSchema,
        response: { 200: KvEntry, ...errorResponses },
      },
      // Validation turns a missing body into null, which is also a storable value: tell them
      // apart before it runs.
      preValidation: (request, _reply, next) => {
        if (request.body !== undefined) {
          next();
          return;
        }
        next(
          new TremorError('TREMOR_BAD_REQUEST', 'the body (the JSON value to store) is missing', [
            { path: 'body', message: 'is required' },
          ]),
        );
      },
    },
    async (request) => {
      const value = storable(request.body, 'body');
      return commit(service, {
        v: COMMAND_VERSION,
        kind: 'kv.put',
        key: request.params.key,
        value,
      });
    },
  );

  app.post(
    '/v1/kv/:key/cas',
    {
      schema: {
        tags: ['kv'],
        summary:
          'Compare-and-set: write `value` if the key holds `expected` (null: is absent); 409 with the current value otherwise',
        params: KeyParams,
        body: Type.Object(
          { expected: JsonValueSchema, value: JsonValueSchema },
          { additionalProperties: false },
        ),
        response: { 200: KvEntry, ...errorResponses },
      },
      preValidation: (request, _reply, next) => {
        // An own property, even when its value is null: `expected: null` means "absent".
        const body = request.body as Record<string, unknown> | null | undefined;
        const missing = ['expected', 'value'].filter(
          (name) => typeof body !== 'object' || body === null || !Object.hasOwn(body, name),
        );
        if (missing.length === 0) {
          next();
          return;
        }
        next(
          new TremorError(
            'TREMOR_BAD_REQUEST',
            `the body needs ${missing.map((m) => `\`${m}\``).join(' and ')}`,
            missing.map((name) => ({ path: `body/${name}`, message: 'is required' })),
          ),
        );
      },
    },
    async (request) => {
      const expected = storable(request.body.expected, 'body/expected');
      const value = storable(request.body.value, 'body/value');
      return commit(service, {
        v: COMMAND_VERSION,
        kind: 'kv.cas',
        key: request.params.key,
        expected,
        value,
      });
    },
  );

  app.delete(
    '/v1/kv/:key',
    {
      schema: {
        tags: ['kv'],
        summary: 'Delete a key; 204 also when it was absent',
        params: KeyParams,
        response: { 204: Type.Null(), ...errorResponses },
      },
    },
    async (request, reply) => {
      await commit(service, { v: COMMAND_VERSION, kind: 'kv.delete', key: request.params.key });
      return reply.code(204).send(null);
    },
  );
  done();
}

function storable(value: unknown, path: string) {
  const problem = nestingProblem(value);
  if (problem !== null) {
    throw new TremorError('TREMOR_BAD_REQUEST', `${path} ${problem}`, [{ path, message: problem }]);
  }
  return asJson(value);
}
