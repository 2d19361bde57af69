/**
 * The aggregates of a window operator: `count`, or `sum(EXPR)`, `min(EXPR)`, `max(EXPR)`,
 * `avg(EXPR)` around one CEL expression. Shared by the validator (and the schema's pattern) and by
 * the workers that compute them, so both read an aggregate the same way.
 */
import { FLOW_LIMITS } from './limits';

export type AggregateFunction = 'count' | 'sum' | 'min' | 'max' | 'avg';

export type Aggregate =
  | { readonly fn: 'count' }
  | {
      readonly fn: Exclude<AggregateFunction, 'count'>;
      /** The CEL expression between the parentheses. */
      readonly expression: string;
      /** Where the expression starts in the aggregate's text, to place syntax errors. */
      readonly offset: number;
    };

/**
 * The aggregate's outer shape. The parentheses need no balancing here: the inner text must parse
 * as one CEL expression, and `sum(a) + sum(b)` leaves `a) + sum(b`, which does not.
 */
export const AGGREGATE_PATTERN = '^(?:count|(?:sum|min|max|avg)\\([\\s\\S]+\\))$';

/** Output fields every window emits, which aggregate names must not overwrite. */
export const WINDOW_OUTPUT_FIELDS: readonly string[] = ['key', 'window_start', 'window_end'];

/** An identifier (a letter or `_`, then letters, digits, `_`) that is not a window output field. */
export const AGGREGATE_NAME_PATTERN =
  `^(?!(?:${WINDOW_OUTPUT_FIELDS.join('|')})$)` +
  `[A-Za-z_][A-Za-z0-9_]{0,${FLOW_LIMITS.maxAggregateNameLength - 1}}$`;

const FUNCTION_CALL = /^(sum|min|max|avg)\(([\s\S]+)\)$/;

/** The aggregate that `text` names, or undefined if it has none of the accepted shapes. */
export function parseAggregate(text: string): Aggregate | undefined {
  if (text === 'count') return { fn: 'count' };
  const match = FUNCTION_CALL.exec(text);
  const fn = match?.[1] as Exclude<AggregateFunction, 'count'> | undefined;
  const expression = match?.[2];
  if (fn === undefined || expression === undefined) return undefined;
  return { fn, expression, offset: fn.length + 1 };
}
