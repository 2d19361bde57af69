/**
 * A flow's CEL expression, compiled once when the flow is loaded and evaluated per event. An
 * evaluation never throws: a missing field, a type mismatch or a division by zero is an
 * `ExpressionFailure` that the runner sends to port `err` (CONTRACT §4), with the reason.
 */
import { CEL } from '../../../../control-plane/src/flow-spec';
import type { CelContext } from './cel-context';
import { fromCel, type Json } from './cel-values';
import { readsOf } from './expression-reads';

export { CelContext, celContext, type EventMeta } from './cel-context';

export type Evaluation =
  { readonly ok: true; readonly value: Json } | { readonly ok: false; readonly error: string };

export interface Expression {
  readonly source: string;
  evaluate(context: CelContext): Evaluation;
}

/** Throws on a syntax error: flows are validated before they reach a worker. */
export function compileExpression(source: string): Expression {
  const run = CEL.parse(source);
  const reads = readsOf(run.ast);
  return {
    source,
    evaluate(context) {
      try {
        const value: unknown = run(context.variablesFor(reads));
        return { ok: true, value: fromCel(value) };
      } catch (err) {
        const message = err instanceof Error ? (err.message.split('\n')[0] ?? '') : String(err);
        return { ok: false, error: message };
      }
    },
  };
}
