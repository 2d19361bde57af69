/**
 * Bounds on what a flow may contain. A flow is replicated to every coordinator and run on every
 * worker, once per vnode for its pipeline, so a careless or hostile submission must not be able to
 * make any of them spend unbounded memory or time; each bound is far above what a real flow needs.
 */
export const FLOW_LIMITS = Object.freeze({
  /** Size of the submitted document text, in bytes (JSON or YAML). */
  maxDocumentBytes: 1024 * 1024,
  /** Flow, source and sink ids; ids appear in URLs and Redis key names. */
  maxIdLength: 64,
  maxSources: 16,
  maxSinks: 16,
  maxOperators: 64,
  /** Length of one CEL expression (and of one aggregate such as `sum(EXPR)`), in characters. */
  maxExpressionLength: 4096,
  /** Named aggregates in one window operator, and the length of their names. */
  maxAggregates: 32,
  maxAggregateNameLength: 64,
  /**
   * Throttle intervals and window sizes: window state lives until its window closes and is
   * checkpointed with the vnode, so a window may not span more than a week.
   */
  maxDurationMs: 7 * 24 * 60 * 60 * 1000,
  maxThrottleRate: 1_000_000_000,
  /** A generator emits on every worker; this is per worker. */
  maxGeneratorRatePerSecond: 1_000_000,
  /** The generator's event template, serialised as JSON. */
  maxGeneratorEventBytes: 64 * 1024,
  /** Redis stream names, and Redis or HTTP URLs. */
  maxNameLength: 1024,
  maxUrlLength: 2048,
  maxPathLength: 4096,
  /** Problems listed for one document; the rest are summarised in one last problem. */
  maxProblems: 100,
});

export type FlowLimits = typeof FLOW_LIMITS;
