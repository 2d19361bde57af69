/**
 * Generators of valid flows (every field, every kind, every operator, optional parts present or
 * not) and of the near misses the validator must refuse without falling over.
 */
import fc from 'fast-check';
import type { FlowSpec, Operator, Sink, Source } from '../../src/flow-spec';

/** CEL's reserved words cannot be field names after a dot (the CEL spec, "Syntax"). */
const CEL_RESERVED = new Set([
  'as',
  'break',
  'const',
  'continue',
  'else',
  'false',
  'for',
  'function',
  'if',
  'import',
  'in',
  'let',
  'loop',
  'package',
  'namespace',
  'null',
  'return',
  'true',
  'var',
  'void',
  'while',
]);
const identifier = fc
  .stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,11}$/)
  .filter((name) => !CEL_RESERVED.has(name));
export const flowId = fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/);

/** CEL expressions built from the grammar, so they parse by construction. */
export const celExpression: fc.Arbitrary<string> = fc
  .letrec<{ expr: string }>((tie) => ({
    expr: fc.oneof(
      // Bounded nesting: cel-js refuses expressions nested past its parser depth limit (250).
      { depthSize: 'small', withCrossShrink: true, maxDepth: 8 },
      identifier.map((name) => `event.${name}`),
      fc.constantFrom('meta.vnode', 'meta.worker', 'meta.flow', 'meta.ingest_ts', 'event'),
      fc.integer({ min: 0, max: 1_000_000 }).map(String),
      fc
        .string({ unit: fc.constantFrom(...'abc xyz-_:./'.split('')), maxLength: 12 })
        .map((text) => JSON.stringify(text)),
      fc
        .tuple(tie('expr'), fc.constantFrom('==', '!=', '<', '>=', '+', '&&', '||'), tie('expr'))
        .map(([left, op, right]) => `(${left} ${op} ${right})`),
      tie('expr').map((inner) => `!(${inner})`),
      fc
        .tuple(tie('expr'), tie('expr'), tie('expr'))
        .map(([condition, then, otherwise]) => `(${condition} ? ${then} : ${otherwise})`),
      tie('expr').map((inner) => `size(${inner})`),
      fc
        .tuple(identifier, tie('expr'))
        .map(([name, value]) => `{${JSON.stringify(name)}: ${value}}`),
      fc.tuple(tie('expr'), identifier).map(([target, name]) => `has(${target}.${name})`),
    ),
  }))
  .expr.filter((text) => text.length <= 4096);

const positiveInteger = (max: number) => fc.integer({ min: 1, max });
const duration = positiveInteger(7 * 24 * 60 * 60 * 1000);

const jsonObject = fc
  .dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 })
  .map((object) => JSON.parse(JSON.stringify(object)) as Record<string, unknown>);

const redisStreamConfig = fc.record(
  {
    stream: fc.string({ minLength: 1, maxLength: 40 }),
    url: fc.constantFrom('redis://127.0.0.1:6379', 'rediss://redis.example.com:6380/2'),
  },
  { requiredKeys: ['stream'] },
);

const sourceBody: fc.Arbitrary<Omit<Source, 'id'>> = fc.oneof(
  fc.record(
    { kind: fc.constant('http' as const), config: fc.constant({}) },
    { requiredKeys: ['kind'] },
  ),
  fc.record({
    kind: fc.constant('generator' as const),
    config: fc.record({
      rate_per_s: fc.double({ min: 0.001, max: 1_000_000, noNaN: true }),
      event: jsonObject,
    }),
  }),
  fc.record({ kind: fc.constant('redis-stream' as const), config: redisStreamConfig }),
);

const aggregate = fc.oneof(
  fc.constant('count'),
  fc
    .tuple(fc.constantFrom('sum', 'min', 'max', 'avg'), celExpression)
    .map(([fn, expression]) => `${fn}(${expression})`),
);

const aggregateName = identifier.filter(
  (name) => !['key', 'window_start', 'window_end'].includes(name),
);

export const operator: fc.Arbitrary<Operator> = fc.oneof(
  celExpression.map((where) => ({ where })),
  celExpression.map((map) => ({ map })),
  fc.record({
    throttle: fc.record({
      key: celExpression,
      rate: positiveInteger(1_000_000_000),
      interval_ms: duration,
    }),
  }),
  fc.record({
    window: fc.record({
      key: celExpression,
      size_ms: duration,
      aggregate: fc.dictionary(aggregateName, aggregate, { minKeys: 1, maxKeys: 4 }),
    }),
  }),
);

const sinkBody = (ports: readonly Sink['from'][]): fc.Arbitrary<Omit<Sink, 'id'>> => {
  const from = fc.constantFrom(...ports);
  const empty = fc.constant({});
  return fc.oneof(
    fc.record(
      { kind: fc.constant('redis-stream' as const), from, config: redisStreamConfig },
      {
        requiredKeys: ['kind', 'config'],
      },
    ),
    fc.record(
      {
        kind: fc.constant('file' as const),
        from,
        config: fc.record({
          path: fc.constantFrom('/tmp/out.ndjson', 'out-{worker}.ndjson', './x y/z'),
        }),
      },
      { requiredKeys: ['kind', 'config'] },
    ),
    fc.record(
      { kind: fc.constant('stdout' as const), from, config: empty },
      { requiredKeys: ['kind'] },
    ),
    fc.record(
      {
        kind: fc.constant('http' as const),
        from,
        config: fc.record({
          url: fc.constantFrom('http://127.0.0.1:8080/in', 'https://sink.example.com/x?y=1'),
        }),
      },
      { requiredKeys: ['kind', 'config'] },
    ),
    fc.record(
      { kind: fc.constant('null' as const), from, config: empty },
      { requiredKeys: ['kind'] },
    ),
  );
};

/** Valid flows: sink `from: overflow` appears only when the pipeline has a throttle. */
export const validFlow: fc.Arbitrary<FlowSpec> = fc
  .tuple(
    flowId,
    fc.uniqueArray(fc.tuple(flowId, sourceBody), {
      minLength: 1,
      maxLength: 4,
      selector: ([id]) => id,
    }),
    fc.option(
      fc.oneof(
        celExpression.map((key) => ({ strategy: 'hash' as const, key })),
        fc.constant({ strategy: 'round-robin' as const }),
      ),
      { nil: undefined },
    ),
    fc.array(operator, { maxLength: 6 }),
  )
  .chain(([id, sources, distribution, pipeline]) => {
    const hasThrottle = pipeline.some((op) => 'throttle' in op);
    const ports: Sink['from'][] = hasThrottle ? ['out', 'err', 'overflow'] : ['out', 'err'];
    return fc
      .uniqueArray(fc.tuple(flowId, sinkBody(ports)), {
        minLength: 1,
        maxLength: 4,
        selector: ([sinkId]) => sinkId,
      })
      .map((sinks): FlowSpec => {
        const spec = {
          id,
          sources: sources.map(([sourceId, body]) => ({ id: sourceId, ...body }) as Source),
          pipeline,
          sinks: sinks.map(([sinkId, body]) => ({ id: sinkId, ...body }) as Sink),
        };
        return distribution === undefined ? spec : { ...spec, distribution };
      });
  });

/** Steps from the root of a value to one of its parts. */
type Path = (string | number)[];

function pathsIn(value: unknown, prefix: Path = []): Path[] {
  const paths: Path[] = [prefix];
  if (Array.isArray(value)) {
    value.forEach((item, index) => paths.push(...pathsIn(item, [...prefix, index])));
  } else if (typeof value === 'object' && value !== null) {
    for (const [key, item] of Object.entries(value)) paths.push(...pathsIn(item, [...prefix, key]));
  }
  return paths;
}

const DELETE = Symbol('delete');

/** A copy of `value` with the part at `path` replaced (or removed, when replaced by DELETE). */
function replaceAt(value: unknown, path: Path, replacement: (old: unknown) => unknown): unknown {
  const [step, ...rest] = path;
  if (step === undefined) return replacement(value);
  if (Array.isArray(value)) {
    return (value as unknown[])
      .map((item, index) => (index === step ? replaceAt(item, rest, replacement) : item))
      .filter((item) => item !== DELETE);
  }
  const copy = { ...(value as Record<string, unknown>) };
  const replaced = replaceAt(copy[step], rest, replacement);
  if (replaced === DELETE) delete copy[step];
  else copy[step] = replaced;
  return copy;
}

/**
 * A valid flow with one part broken: replaced by anything (of any JavaScript type), removed, or
 * given an extra field. Nearly valid documents reach the deep checks random values never reach.
 */
export const mutatedFlow: fc.Arbitrary<unknown> = validFlow.chain((spec) =>
  fc
    .tuple(
      fc.constantFrom(...pathsIn(spec)),
      fc.oneof(
        fc.anything({ withBigInt: true, withNullPrototype: true, withSparseArray: true }),
        fc.constant(DELETE),
        fc.record({ extraKey: fc.string({ maxLength: 8 }), extraValue: fc.anything() }),
      ),
    )
    .map(([path, change]) =>
      replaceAt(spec, path, (old) => {
        if (typeof change === 'object' && change !== null && 'extraKey' in change) {
          const { extraKey, extraValue } = change as { extraKey: string; extraValue: unknown };
          return typeof old === 'object' && old !== null && !Array.isArray(old)
            ? { ...old, [extraKey]: extraValue }
            : extraValue;
        }
        return change;
      }),
    ),
);

/** `mutatedFlow` as a JSON body would bring it: only JSON values. */
export const mutatedJsonFlow: fc.Arbitrary<unknown> = mutatedFlow
  .filter((value) => {
    try {
      return JSON.stringify(value) !== undefined;
    } catch {
      return false;
    }
  })
  .map((value) => JSON.parse(JSON.stringify(value)) as unknown);
