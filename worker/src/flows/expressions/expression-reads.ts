/**
 * What an expression can read of its variables, found once from its syntax tree so that each
 * event converts only that much to CEL values (converting whole events was most of a pipeline's
 * time).
 *
 * A variable is read only through an `id` node. `event.f`, `has(event.f)` and `event["f"]` read
 * the top-level field `f`; any other use of `event` (passed to a function, indexed by a computed
 * key, compared, returned) may read all of it. A macro's iteration variable named `event` is such
 * another use too: it shadows the variable, and counting it as a read of everything is only slower.
 */
import type { ASTNode } from '@marcbachmann/cel-js';

export interface Reads {
  /** The top-level fields of `event` read, or null when the expression may read all of it. */
  readonly eventFields: readonly string[] | null;
  readonly meta: boolean;
}

export function readsOf(ast: ASTNode): Reads {
  const fields = new Set<string>();
  let wholeEvent = false;
  let meta = false;

  const visit = (node: ASTNode): void => {
    switch (node.op) {
      case 'value':
        return;
      case 'id':
        if (node.args === 'event') wholeEvent = true;
        else if (node.args === 'meta') meta = true;
        return;
      case '.':
      case '.?':
        if (isEventId(node.args[0])) fields.add(node.args[1]);
        else visit(node.args[0]);
        return;
      case '[]':
      case '[?]': {
        const [object, index] = node.args;
        if (isEventId(object) && index.op === 'value' && typeof index.args === 'string') {
          fields.add(index.args);
        } else {
          visit(object);
          visit(index);
        }
        return;
      }
      default:
        visitAll(node.args);
    }
  };
  // Every other node holds its operands in `args`: a node, or arrays of nodes, names (a called
  // function's) and map entries. A shape this does not know may hide a read of anything.
  const visitAll = (args: unknown): void => {
    if (Array.isArray(args)) for (const a of args) visitAll(a);
    else if (isNode(args)) visit(args);
    else if (typeof args === 'object' && args !== null) wholeEvent = meta = true;
  };

  visit(ast);
  return { eventFields: wholeEvent ? null : [...fields], meta };
}

function isEventId(node: ASTNode): boolean {
  return node.op === 'id' && node.args === 'event';
}

function isNode(x: unknown): x is ASTNode {
  return typeof x === 'object' && x !== null && typeof (x as { op?: unknown }).op === 'string';
}
