/** TypeBox schemas shared by several routes. */
import { Type, type TSchema } from '@fastify/type-provider-typebox';

export const ErrorResponse = Type.Object(
  {
    error: Type.Object({
      code: Type.String({ description: 'stable code, see docs/errors.md' }),
      message: Type.String(),
      details: Type.Array(Type.Unknown(), {
        description: 'one { path, message } per problem, or the facts of a refusal',
      }),
    }),
  },
  { description: 'every error answer has this shape' },
);

/** The error answers every route may give (401, 404, 413, 415, 503, ...). */
export const errorResponses = { '4xx': ErrorResponse, '5xx': ErrorResponse } as const;

export function nullable<T extends TSchema>(schema: T) {
  return Type.Union([schema, Type.Null()]);
}

/** `?stale=true` reads this node's applied copy instead of a linearizable read. */
export const StaleQuery = Type.Object({
  stale: Type.Optional(
    Type.Boolean({ description: "read this node's local copy; may lag the leader" }),
  ),
});

export const FLOW_ID_PATTERN = '^[A-Za-z0-9_-]{1,64}$';

export const FlowIdParams = Type.Object({
  id: Type.String({ pattern: FLOW_ID_PATTERN, description: 'flow id' }),
});

/** Any JSON value (kv values, events). */
export const JsonValueSchema = Type.Unknown({ description: 'any JSON value' });
