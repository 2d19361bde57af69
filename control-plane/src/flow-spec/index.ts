/**
 * The flow format (CONTRACT §4): parse a submitted document, validate it, and the types of a
 * validated flow. Coordinators validate what users submit; workers run what was validated.
 *
 * Where the contract is silent, the format says:
 * - `distribution` may be left out and means `{ strategy: round-robin }`; `key` is required for
 *   `hash` and an error for `round-robin`. `pipeline` is required and may be empty.
 * - A validated flow comes back with its defaults filled in (`distribution`, each sink's `from`).
 * - Source and sink ids follow the flow id's rule; sources and sinks may share an id.
 * - A sink `from: overflow` needs a throttle in the pipeline.
 * - Expressions are checked for CEL syntax only (events have no declared type).
 * - Aggregates are exactly `count`, `sum(EXPR)`, `min(EXPR)`, `max(EXPR)` or `avg(EXPR)`, named
 *   by identifiers other than `key`, `window_start` and `window_end`.
 * - `rate_per_s` may be fractional (one event every two seconds is 0.5); throttle `rate`,
 *   `interval_ms` and window `size_ms` are integers. See FLOW_LIMITS for every bound.
 * - An http sink's `url` is an http(s) URL and a Redis `url` a redis:// or rediss:// URL; both
 *   must parse. A file path is any non-empty path without NUL.
 * - YAML is 1.2 with unique keys and at most 100 aliases; one document per text.
 */
export { FLOW_LIMITS, type FlowLimits } from './limits';
export type { FlowParse, FlowProblem } from './problems';
export { parseFlowDocument, type FlowDocumentFormat } from './parse-document';
export { validateFlowSpec } from './validate';
export { parseAggregate, type Aggregate, type AggregateFunction } from './aggregate';
export {
  FlowSpecSchema,
  SourceSchema,
  DistributionSchema,
  OperatorSchema,
  SinkSchema,
  DEFAULT_DISTRIBUTION,
  OPERATOR_KINDS,
  operatorKind,
  type FlowSpec,
  type Source,
  type SourceKind,
  type HttpSource,
  type GeneratorSource,
  type RedisStreamSource,
  type GeneratorConfig,
  type RedisStreamConfig,
  type Distribution,
  type HashDistribution,
  type RoundRobinDistribution,
  type Operator,
  type OperatorKind,
  type WhereOperator,
  type MapOperator,
  type ThrottleOperator,
  type WindowOperator,
  type ThrottleSettings,
  type WindowSettings,
  type Sink,
  type SinkKind,
  type SinkPort,
  type FileConfig,
  type HttpSinkConfig,
} from './schema';
export { CEL, createCelEnvironment } from './cel-environment';
