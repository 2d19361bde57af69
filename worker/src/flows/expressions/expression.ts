/**
 * A flow's CEL expression, compiled once when the flow is loaded and evaluated per event. An
 * evaluation never throws: a missing field, a type mismatch or a division by zero is an
 * `ExpressionFailure` that the runner sends to port `err` (CONTRACT §4), with the reason.
 */
import { CEL } from '../../../../control-plane/src/flow-spec';
import { fromCel, toCel, type Json } from './cel-values';

/** What an expression sees of the event's origin (CONTRACT §4). */
export interface EventMeta {
  readonly vnode: number;
  readonly worker: string;
  readonly flow: string;
  /** Milliseconds, stamped once by the source that accepted the event. */
  readonly ingest_ts: number;
}

export type Evaluation =
  { readonly ok: true; readonly value: Json } | { readonly ok: false; readonly error: string };

/** An event and its meta converted to CEL values once, for every expression of the pipeline. */
export interface CelContext {
  readonly event: unknown;
  readonly meta: unknown;
}

export function celContext(event: Json, meta: EventMeta): CelContext {
  // The meta has a known shape: converted field by field, without the generic walk.
  return {
    event: toCel(event),
    meta: {
      vnode: BigInt(meta.vnode),
      worker: meta.worker,
      flow: meta.flow,
      ingest_ts: BigInt(meta.ingest_ts),
    },
  };
}

export interface Expression {
  readonly source: string;
  evaluate(context: CelContext): Evaluation;
}

type Compiled = (context: Record<string, unknown>) => unknown;

/** Throws on a syntax error: flows are validated before they reach a worker. */
export function compileExpression(source: string): Expression {
  const run = CEL.parse(source) as unknown as Compiled;
  return {
    source,
    evaluate(context) {
      try {
        return { ok: true, value: fromCel(run(context as unknown as Record<string, unknown>)) };
      } catch (err) {
        const message = err instanceof Error ? (err.message.split('\n')[0] ?? '') : String(err);
        return { ok: false, error: message };
      }
    },
  };
}
