/**
 * Request values on their way into the replicated state, which holds JSON only and refuses
 * values nested deeper than MAX_VALUE_NESTING (so no coordinator's stack decides what is stored).
 * Checking here answers the client with a 400 that names the limit, instead of a refused command.
 */
import { MAX_VALUE_NESTING } from '../cluster-state/codec';
import type { JsonValue } from '../cluster-state/json';

/** How many arrays and objects deep `value` goes (a scalar is 0). Iterative: bodies are hostile. */
export function nestingDepth(value: unknown): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 0]];
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    const [item, depth] = top;
    if (typeof item !== 'object' || item === null) continue;
    const inner = depth + 1;
    if (inner > deepest) deepest = inner;
    for (const child of Array.isArray(item) ? item : Object.values(item)) {
      if (typeof child === 'object' && child !== null) stack.push([child, inner]);
    }
  }
  return deepest;
}

/** A message when `value` is too deep to store, else null. */
export function nestingProblem(value: unknown): string | null {
  const depth = nestingDepth(value);
  return depth > MAX_VALUE_NESTING
    ? `is nested ${depth} deep; at most ${MAX_VALUE_NESTING} levels are stored`
    : null;
}

/** A parsed body is JSON already; typed as such once it has passed the route's checks. */
export function asJson(value: unknown): JsonValue {
  return value as JsonValue;
}
