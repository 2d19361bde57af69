/**
 * The flow format (CONTRACT §4) as TypeBox schemas: the declared shape, published in the OpenAPI
 * document, and the source of the `FlowSpec` type workers run. The validator reads field names,
 * required fields and leaf constraints from these schemas, so the two cannot drift apart; what
 * JSON Schema cannot say (CEL syntax, unique ids, URLs that parse, the overflow port needing a
 * throttle) the validator adds.
 *
 * Not for fastify's body validation: its Ajv removes unknown fields where the schema says
 * `additionalProperties: false`, and the contract wants them reported. Validate with
 * `validateFlowSpec`.
 */
import { Type, type Static, type TObject } from '@sinclair/typebox';
import { AGGREGATE_NAME_PATTERN, AGGREGATE_PATTERN } from './aggregate';
import { FLOW_LIMITS } from './limits';

const closed = { additionalProperties: false } as const;

const ID_PATTERN = '^[A-Za-z0-9_-]+$';
const HTTP_URL_PATTERN = '^https?://';
const REDIS_URL_PATTERN = '^rediss?://';
const NO_NUL_PATTERN = '^[^\\u0000]+$';

/**
 * What each pattern means, in words, for problem messages ("must be ..."): a pattern is exact
 * but not readable.
 */
export const PATTERN_MEANINGS: ReadonlyMap<string, string> = new Map([
  [ID_PATTERN, 'made of letters, digits, _ and - only'],
  [HTTP_URL_PATTERN, 'an http:// or https:// URL'],
  [REDIS_URL_PATTERN, 'a redis:// or rediss:// URL'],
  [NO_NUL_PATTERN, 'free of NUL characters'],
  [AGGREGATE_PATTERN, 'one of count, sum(EXPR), min(EXPR), max(EXPR), avg(EXPR)'],
]);

export const IdSchema = Type.String({
  minLength: 1,
  maxLength: FLOW_LIMITS.maxIdLength,
  pattern: ID_PATTERN,
  description: 'Letters, digits, _ and -; used in URLs and Redis key names.',
});

export const ExpressionSchema = Type.String({
  minLength: 1,
  maxLength: FLOW_LIMITS.maxExpressionLength,
  description: 'A CEL expression over `event` and `meta` (vnode, worker, flow, ingest_ts).',
});

const Duration = Type.Integer({
  exclusiveMinimum: 0,
  maximum: FLOW_LIMITS.maxDurationMs,
  description: 'Milliseconds of `meta.ingest_ts`.',
});

const StreamName = Type.String({ minLength: 1, maxLength: FLOW_LIMITS.maxNameLength });
const RedisUrl = Type.String({ maxLength: FLOW_LIMITS.maxUrlLength, pattern: REDIS_URL_PATTERN });
const HttpUrl = Type.String({ maxLength: FLOW_LIMITS.maxUrlLength, pattern: HTTP_URL_PATTERN });

/** `config` of the kinds that take none: absent, or `{}`. */
export const EmptyConfigSchema = Type.Object({}, { ...closed, description: 'Takes no settings.' });

export const RedisStreamConfigSchema = Type.Object(
  {
    stream: StreamName,
    url: Type.Optional(RedisUrl),
  },
  { ...closed, description: "Defaults to the worker's --redis-url." },
);

export const GeneratorConfigSchema = Type.Object(
  {
    rate_per_s: Type.Number({
      exclusiveMinimum: 0,
      maximum: FLOW_LIMITS.maxGeneratorRatePerSecond,
      description: 'Events per second, on every worker.',
    }),
    event: Type.Record(Type.String(), Type.Unknown(), {
      description: 'Emitted as is, with a `seq` field added.',
    }),
  },
  closed,
);

export const FileConfigSchema = Type.Object(
  {
    path: Type.String({
      minLength: 1,
      maxLength: FLOW_LIMITS.maxPathLength,
      pattern: NO_NUL_PATTERN,
      description: '`{worker}` is replaced by the worker id.',
    }),
  },
  closed,
);

export const HttpSinkConfigSchema = Type.Object({ url: HttpUrl }, closed);

// Sources ----------------------------------------------------------------------------------------

export const HttpSourceSchema = Type.Object(
  { id: IdSchema, kind: Type.Literal('http'), config: Type.Optional(EmptyConfigSchema) },
  closed,
);
export const GeneratorSourceSchema = Type.Object(
  { id: IdSchema, kind: Type.Literal('generator'), config: GeneratorConfigSchema },
  closed,
);
export const RedisStreamSourceSchema = Type.Object(
  { id: IdSchema, kind: Type.Literal('redis-stream'), config: RedisStreamConfigSchema },
  closed,
);
export const SourceSchema = Type.Union([
  HttpSourceSchema,
  GeneratorSourceSchema,
  RedisStreamSourceSchema,
]);

// Distribution -----------------------------------------------------------------------------------

export const HashDistributionSchema = Type.Object(
  { strategy: Type.Literal('hash'), key: ExpressionSchema },
  closed,
);
export const RoundRobinDistributionSchema = Type.Object(
  { strategy: Type.Literal('round-robin') },
  closed,
);
export const DEFAULT_DISTRIBUTION: Readonly<RoundRobinDistribution> = Object.freeze({
  strategy: 'round-robin',
});
export const DistributionSchema = Type.Union(
  [HashDistributionSchema, RoundRobinDistributionSchema],
  { default: DEFAULT_DISTRIBUTION },
);

// Operators --------------------------------------------------------------------------------------

export const ThrottleSettingsSchema = Type.Object(
  {
    key: ExpressionSchema,
    rate: Type.Integer({ exclusiveMinimum: 0, maximum: FLOW_LIMITS.maxThrottleRate }),
    interval_ms: Duration,
  },
  closed,
);

export const AggregatesSchema = Type.Record(
  Type.String({ pattern: AGGREGATE_NAME_PATTERN }),
  Type.String({
    minLength: 1,
    maxLength: FLOW_LIMITS.maxExpressionLength,
    pattern: AGGREGATE_PATTERN,
  }),
  {
    ...closed,
    minProperties: 1,
    maxProperties: FLOW_LIMITS.maxAggregates,
    description:
      'Output field name to `count`, `sum(EXPR)`, `min(EXPR)`, `max(EXPR)` or `avg(EXPR)`.',
  },
);

export const WindowSettingsSchema = Type.Object(
  { key: ExpressionSchema, size_ms: Duration, aggregate: AggregatesSchema },
  closed,
);

export const WhereOperatorSchema = Type.Object({ where: ExpressionSchema }, closed);
export const MapOperatorSchema = Type.Object({ map: ExpressionSchema }, closed);
export const ThrottleOperatorSchema = Type.Object({ throttle: ThrottleSettingsSchema }, closed);
export const WindowOperatorSchema = Type.Object({ window: WindowSettingsSchema }, closed);

/** Operators by their one key. */
export const OPERATOR_SCHEMAS = {
  where: WhereOperatorSchema,
  map: MapOperatorSchema,
  throttle: ThrottleOperatorSchema,
  window: WindowOperatorSchema,
} as const;

export const OperatorSchema = Type.Union([
  WhereOperatorSchema,
  MapOperatorSchema,
  ThrottleOperatorSchema,
  WindowOperatorSchema,
]);

// Sinks ------------------------------------------------------------------------------------------

export const SinkPortSchema = Type.Union(
  [Type.Literal('out'), Type.Literal('overflow'), Type.Literal('err')],
  { default: 'out', description: 'The pipeline port the sink takes events from.' },
);

function sink<K extends string, C extends TObject>(kind: K, config: C) {
  return Type.Object(
    { id: IdSchema, kind: Type.Literal(kind), from: Type.Optional(SinkPortSchema), config },
    closed,
  );
}

export const RedisStreamSinkSchema = sink('redis-stream', RedisStreamConfigSchema);
export const FileSinkSchema = sink('file', FileConfigSchema);
export const StdoutSinkSchema = sink('stdout', Type.Optional(EmptyConfigSchema));
export const HttpSinkSchema = sink('http', HttpSinkConfigSchema);
export const NullSinkSchema = sink('null', Type.Optional(EmptyConfigSchema));

export const SinkSchema = Type.Union([
  RedisStreamSinkSchema,
  FileSinkSchema,
  StdoutSinkSchema,
  HttpSinkSchema,
  NullSinkSchema,
]);

// The flow ---------------------------------------------------------------------------------------

export const FlowSpecSchema = Type.Object(
  {
    id: IdSchema,
    sources: Type.Array(SourceSchema, { minItems: 1, maxItems: FLOW_LIMITS.maxSources }),
    distribution: Type.Optional(DistributionSchema),
    pipeline: Type.Array(OperatorSchema, {
      maxItems: FLOW_LIMITS.maxOperators,
      description: 'Operators run in order, once per vnode; may be empty.',
    }),
    sinks: Type.Array(SinkSchema, { minItems: 1, maxItems: FLOW_LIMITS.maxSinks }),
  },
  { ...closed, title: 'FlowSpec' },
);

/** Variants of the unions, by their discriminating value, for the validator. */
export const SOURCE_SCHEMAS = {
  http: HttpSourceSchema,
  generator: GeneratorSourceSchema,
  'redis-stream': RedisStreamSourceSchema,
} as const;

export const SINK_SCHEMAS = {
  'redis-stream': RedisStreamSinkSchema,
  file: FileSinkSchema,
  stdout: StdoutSinkSchema,
  http: HttpSinkSchema,
  null: NullSinkSchema,
} as const;

export const DISTRIBUTION_SCHEMAS = {
  hash: HashDistributionSchema,
  'round-robin': RoundRobinDistributionSchema,
} as const;

// Types ------------------------------------------------------------------------------------------

export type FlowSpec = Static<typeof FlowSpecSchema>;

export type Source = Static<typeof SourceSchema>;
export type SourceKind = Source['kind'];
export type HttpSource = Static<typeof HttpSourceSchema>;
export type GeneratorSource = Static<typeof GeneratorSourceSchema>;
export type RedisStreamSource = Static<typeof RedisStreamSourceSchema>;
export type GeneratorConfig = Static<typeof GeneratorConfigSchema>;
export type RedisStreamConfig = Static<typeof RedisStreamConfigSchema>;

export type Distribution = Static<typeof DistributionSchema>;
export type HashDistribution = Static<typeof HashDistributionSchema>;
export type RoundRobinDistribution = Static<typeof RoundRobinDistributionSchema>;

export type Operator = Static<typeof OperatorSchema>;
export type OperatorKind = keyof typeof OPERATOR_SCHEMAS;
export type WhereOperator = Static<typeof WhereOperatorSchema>;
export type MapOperator = Static<typeof MapOperatorSchema>;
export type ThrottleOperator = Static<typeof ThrottleOperatorSchema>;
export type WindowOperator = Static<typeof WindowOperatorSchema>;
export type ThrottleSettings = Static<typeof ThrottleSettingsSchema>;
export type WindowSettings = Static<typeof WindowSettingsSchema>;

export type Sink = Static<typeof SinkSchema>;
export type SinkKind = Sink['kind'];
export type SinkPort = Static<typeof SinkPortSchema>;
export type FileConfig = Static<typeof FileConfigSchema>;
export type HttpSinkConfig = Static<typeof HttpSinkConfigSchema>;

export const OPERATOR_KINDS: readonly OperatorKind[] = ['where', 'map', 'throttle', 'window'];

/** Which operator this is; a validated operator has exactly one of the four keys. */
export function operatorKind(operator: Operator): OperatorKind {
  if ('where' in operator) return 'where';
  if ('map' in operator) return 'map';
  if ('throttle' in operator) return 'throttle';
  return 'window';
}
